// Expression evaluation: see expression.h.
#include "sql-lite-frontend/expression.h"

#include <algorithm>
#include <cassert>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include "forkdb/sql.h"

namespace forkdb::sql {
namespace {

constexpr double kTwoPow63 = 9223372036854775808.0;

Status Overflow(const Expr& e) {
  return Status::InvalidArgument(e.pos.line, ":", e.pos.column,
                                 ": integer overflow");
}
Status DivisionByZero(const Expr& e) {
  return Status::InvalidArgument(e.pos.line, ":", e.pos.column,
                                 ": division by zero");
}

// The longest prefix of `s` that reads as a number (after blanks), as SQLite
// converts TEXT for arithmetic: INTEGER when it is an integer that fits, REAL
// otherwise; 0 when nothing reads.
Value TextToNumber(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  const size_t start = i;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  const size_t digits_start = i;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  bool real = false;
  size_t end = i;
  bool any_digits = i > digits_start;
  if (i < s.size() && s[i] == '.') {
    size_t j = i + 1;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
    if (j > i + 1 || any_digits) {
      any_digits = any_digits || j > i + 1;
      real = true;
      i = j;
      end = j;
    }
  }
  if (!any_digits) return Value::Integer(0);
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    size_t j = i + 1;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    if (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) {
      while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j])))
        ++j;
      real = true;
      end = j;
    }
  }
  const std::string text(s.substr(start, end - start));
  if (!real) {
    errno = 0;
    const long long v = std::strtoll(text.c_str(), nullptr, 10);
    if (errno != ERANGE) return Value::Integer(v);
  }
  return Value::Real(std::strtod(text.c_str(), nullptr));
}

// A number for arithmetic: INTEGER and REAL as they are, TEXT and BLOB
// converted. REQUIRES: not NULL.
Value ToNumber(const Value& v) {
  assert(!v.is_null());
  switch (v.type()) {
    case Type::kInteger:
    case Type::kReal:
      return v;
    case Type::kBoolean:
      return Value::Integer(v.integer());
    case Type::kText:
    case Type::kBlob:
      return TextToNumber(v.bytes());
    case Type::kNull:
      break;
  }
  return Value::Integer(0);
}

double AsDouble(const Value& number) {
  return number.type() == Type::kReal ? number.real()
                                      : static_cast<double>(number.integer());
}

// SQLite's CAST to INTEGER of a double: truncation, clamped to int64.
int64_t DoubleToInteger(double d) {
  if (std::isnan(d)) return 0;
  if (d >= kTwoPow63) return std::numeric_limits<int64_t>::max();
  if (d < -kTwoPow63) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(d);
}

// A REAL result; a NaN (Inf - Inf, say) becomes NULL as in SQLite.
Value RealResult(double d) { return Value::Real(d); }

Result<Value> Arithmetic(const Expr& e, BinaryOp op, const Value& a_in,
                         const Value& b_in) {
  if (a_in.is_null() || b_in.is_null()) return Value::Null();
  const Value a = ToNumber(a_in);
  const Value b = ToNumber(b_in);
  const bool integers =
      a.type() == Type::kInteger && b.type() == Type::kInteger;
  if (op == BinaryOp::kMod) {
    // SQLite: % works on integers, and is REAL if either side was.
    const int64_t x =
        a.type() == Type::kInteger ? a.integer() : DoubleToInteger(a.real());
    const int64_t y =
        b.type() == Type::kInteger ? b.integer() : DoubleToInteger(b.real());
    if (y == 0) return DivisionByZero(e);
    const int64_t r = (y == -1) ? 0 : x % y;
    if (integers) return Value::Integer(r);
    return RealResult(static_cast<double>(r));
  }
  if (integers) {
    const int64_t x = a.integer(), y = b.integer();
    int64_t r = 0;
    switch (op) {
      case BinaryOp::kAdd:
        if (__builtin_add_overflow(x, y, &r)) return Overflow(e);
        return Value::Integer(r);
      case BinaryOp::kSub:
        if (__builtin_sub_overflow(x, y, &r)) return Overflow(e);
        return Value::Integer(r);
      case BinaryOp::kMul:
        if (__builtin_mul_overflow(x, y, &r)) return Overflow(e);
        return Value::Integer(r);
      case BinaryOp::kDiv:
        if (y == 0) return DivisionByZero(e);
        if (x == std::numeric_limits<int64_t>::min() && y == -1)
          return Overflow(e);
        return Value::Integer(x / y);
      default:
        break;
    }
    assert(false && "not an arithmetic operator");
    return Value::Null();
  }
  const double x = AsDouble(a), y = AsDouble(b);
  switch (op) {
    case BinaryOp::kAdd:
      return RealResult(x + y);
    case BinaryOp::kSub:
      return RealResult(x - y);
    case BinaryOp::kMul:
      return RealResult(x * y);
    case BinaryOp::kDiv:
      if (y == 0.0) return DivisionByZero(e);
      return RealResult(x / y);
    default:
      break;
  }
  assert(false && "not an arithmetic operator");
  return Value::Null();
}

Value Bool(bool b) { return Value::Integer(b ? 1 : 0); }

Value Compared(BinaryOp op, const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return Value::Null();
  const int c = engine::Compare(a, b);
  switch (op) {
    case BinaryOp::kEq:
      return Bool(c == 0);
    case BinaryOp::kNe:
      return Bool(c != 0);
    case BinaryOp::kLt:
      return Bool(c < 0);
    case BinaryOp::kLe:
      return Bool(c <= 0);
    case BinaryOp::kGt:
      return Bool(c > 0);
    case BinaryOp::kGe:
      return Bool(c >= 0);
    default:
      break;
  }
  assert(false && "not a comparison");
  return Value::Null();
}

// Number of UTF-8 characters (lead bytes) in s.
int64_t CharCount(std::string_view s) {
  int64_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

// Byte offset of the character `chars` characters into s (or s.size()).
size_t CharOffset(std::string_view s, int64_t chars) {
  size_t i = 0;
  while (i < s.size() && chars > 0) {
    ++i;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80)
      ++i;
    --chars;
  }
  return i;
}

char FoldAscii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// SQLite's LIKE without ESCAPE: % any run, _ one character, ASCII letters
// match either case.
bool LikeMatch(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0;
  size_t star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '%') {
      while (p < pattern.size() && pattern[p] == '%') ++p;
      if (p == pattern.size()) return true;
      star_p = p;
      star_t = t;
      continue;
    }
    if (p < pattern.size() && pattern[p] == '_') {
      ++p;
      t = CharOffset(text.substr(t), 1) + t;
      continue;
    }
    if (p < pattern.size() && FoldAscii(pattern[p]) == FoldAscii(text[t])) {
      ++p;
      ++t;
      continue;
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    star_t = CharOffset(text.substr(star_t), 1) + star_t;
    t = star_t;
  }
  while (p < pattern.size() && pattern[p] == '%') ++p;
  return p == pattern.size();
}

Result<Value> Substr(const Expr& e, const std::vector<Value>& args) {
  for (const Value& v : args)
    if (v.is_null()) return Value::Null();
  const bool blob = args[0].type() == Type::kBlob;
  const std::string s = blob ? args[0].blob() : ValueText(args[0]);
  auto as_int = [](const Value& v) {
    const Value n = ToNumber(v);
    return n.type() == Type::kInteger ? n.integer() : DoubleToInteger(n.real());
  };
  int64_t p1 = as_int(args[1]);
  int64_t p2 = std::numeric_limits<int32_t>::max();
  bool negative_length = false;
  if (args.size() == 3) {
    p2 = as_int(args[2]);
    if (p2 < 0) {
      negative_length = true;
      p2 = p2 == std::numeric_limits<int64_t>::min()
               ? std::numeric_limits<int64_t>::max()
               : -p2;
    }
  }
  (void)e;
  const int64_t len = blob ? static_cast<int64_t>(s.size()) : CharCount(s);
  // Clamp to a range where the sums below cannot overflow.
  constexpr int64_t kBig = int64_t{1} << 40;
  p1 = std::clamp(p1, -kBig, kBig);
  p2 = std::min(p2, kBig);
  if (p1 < 0) {
    p1 += len;
    if (p1 < 0) {
      p2 += p1;
      if (p2 < 0) p2 = 0;
      p1 = 0;
    }
  } else if (p1 > 0) {
    --p1;
  } else if (p2 > 0) {
    --p2;
  }
  if (negative_length) {
    p1 -= p2;
    if (p1 < 0) {
      p2 += p1;
      p1 = 0;
    }
  }
  assert(p1 >= 0 && p2 >= 0);
  if (blob) {
    if (len == 0) return Value::Null();  // as SQLite, whose empty BLOB is NULL
    if (p1 > len) p1 = len;
    if (p1 + p2 > len) p2 = len - p1;
    return Value::Blob(
        s.substr(static_cast<size_t>(p1), static_cast<size_t>(p2)));
  }
  const size_t begin = CharOffset(s, p1);
  const size_t end = begin + CharOffset(std::string_view(s).substr(begin), p2);
  return Value::Text(s.substr(begin, end - begin));
}

const char* TypeOfName(const Value& v) {
  switch (v.type()) {
    case Type::kNull:
      return "null";
    case Type::kInteger:
    case Type::kBoolean:
      return "integer";
    case Type::kReal:
      return "real";
    case Type::kText:
      return "text";
    case Type::kBlob:
      return "blob";
  }
  return "null";
}

Result<Value> ScalarFunction(const Expr& e, std::vector<Value>& args) {
  const std::string& f = e.name;
  if (f == "coalesce" || f == "ifnull") {
    for (Value& v : args)
      if (!v.is_null()) return std::move(v);
    return Value::Null();
  }
  if (f == "nullif") {
    if (!args[0].is_null() && !args[1].is_null() &&
        engine::Compare(args[0], args[1]) == 0)
      return Value::Null();
    return std::move(args[0]);
  }
  if (f == "typeof") return Value::Text(TypeOfName(args[0]));
  if (f == "min" || f == "max") {
    size_t best = 0;
    for (size_t i = 0; i < args.size(); ++i) {
      if (args[i].is_null()) return Value::Null();
      const int c = engine::Compare(args[i], args[best]);
      if (f == "min" ? c < 0 : c > 0) best = i;
    }
    return std::move(args[best]);
  }
  if (f == "substr" || f == "substring") return Substr(e, args);
  const Value& x = args[0];
  if (x.is_null()) return Value::Null();
  if (f == "abs") {
    const Value n = ToNumber(x);
    if (x.type() == Type::kText || x.type() == Type::kBlob)
      return RealResult(std::fabs(AsDouble(n)));
    if (n.type() == Type::kReal) return RealResult(std::fabs(n.real()));
    if (n.integer() == std::numeric_limits<int64_t>::min()) return Overflow(e);
    return Value::Integer(n.integer() < 0 ? -n.integer() : n.integer());
  }
  if (f == "length") {
    if (x.type() == Type::kBlob)
      return Value::Integer(static_cast<int64_t>(x.blob().size()));
    return Value::Integer(CharCount(ValueText(x)));
  }
  if (f == "lower" || f == "upper") {
    std::string s = ValueText(x);
    for (char& c : s) {
      if (f == "lower" && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
      if (f == "upper" && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    }
    return Value::Text(std::move(s));
  }
  return Status::InvalidArgument(e.pos.line, ":", e.pos.column,
                                 ": no such function: ", e.name);
}

struct Arity {
  std::string_view name;
  int min;
  int max;  // -1: any
};
constexpr Arity kScalar[] = {
    {"abs", 1, 1},       {"length", 1, 1}, {"lower", 1, 1},
    {"upper", 1, 1},     {"substr", 2, 3}, {"substring", 2, 3},
    {"coalesce", 2, -1}, {"ifnull", 2, 2}, {"nullif", 2, 2},
    {"typeof", 1, 1},    {"min", 2, -1},   {"max", 2, -1},
};

}  // namespace

std::optional<bool> Truth(const Value& v) {
  if (v.is_null()) return std::nullopt;
  const Value n = ToNumber(v);
  if (n.type() == Type::kReal) return n.real() != 0.0;
  return n.integer() != 0;
}

Value Cast(const Value& v, Type type) {
  if (v.is_null()) return v;
  switch (type) {
    case Type::kInteger: {
      if (v.type() == Type::kInteger) return v;
      if (v.type() == Type::kBoolean) return Value::Integer(v.integer());
      if (v.type() == Type::kReal)
        return Value::Integer(DoubleToInteger(v.real()));
      // TEXT and BLOB: the integer prefix, clamped (SQLite's CAST).
      const std::string_view s = v.bytes();
      size_t i = 0;
      while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])))
        ++i;
      size_t j = i;
      if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
      while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j])))
        ++j;
      const std::string digits(s.substr(i, j - i));
      errno = 0;
      const long long r = std::strtoll(digits.c_str(), nullptr, 10);
      return Value::Integer(r);  // strtoll clamps on overflow
    }
    case Type::kReal: {
      if (v.type() == Type::kReal) return v;
      if (v.type() == Type::kInteger || v.type() == Type::kBoolean)
        return Value::Real(static_cast<double>(v.integer()));
      const Value n = TextToNumber(v.bytes());
      return Value::Real(AsDouble(n));
    }
    case Type::kText:
      if (v.type() == Type::kText) return v;
      if (v.type() == Type::kBlob) return Value::Text(v.blob());
      return Value::Text(ValueText(v));
    case Type::kBlob:
      if (v.type() == Type::kBlob) return v;
      if (v.type() == Type::kText) return Value::Blob(v.text());
      return Value::Blob(ValueText(v));
    case Type::kBoolean: {
      const std::optional<bool> t = Truth(v);
      return Value::Integer(t.value_or(false) ? 1 : 0);
    }
    case Type::kNull:
      break;
  }
  return Value::Null();
}

Status CheckFunction(const Expr& e, bool* is_aggregate) {
  assert(e.kind == ExprKind::kFunction);
  const std::string& f = e.name;
  const int n = static_cast<int>(e.args.size());
  *is_aggregate = false;
  auto arity_error = [&]() {
    return Status::InvalidArgument(e.pos.line, ":", e.pos.column,
                                   ": wrong number of arguments to function ",
                                   f, "()");
  };
  if (e.star) {
    if (f != "count") return arity_error();
    *is_aggregate = true;
    return Status();
  }
  if (f == "count" || f == "sum" || f == "total" || f == "avg" ||
      ((f == "min" || f == "max") && n == 1)) {
    if (n != 1) return arity_error();
    *is_aggregate = true;
    return Status();
  }
  for (const Arity& a : kScalar) {
    if (a.name != f) continue;
    if (n < a.min || (a.max >= 0 && n > a.max)) return arity_error();
    return Status();
  }
  return Status::InvalidArgument(e.pos.line, ":", e.pos.column,
                                 ": no such function: ", f);
}

Result<Value> Evaluate(const Expr& e, const EvalContext& context) {
  switch (e.kind) {
    case ExprKind::kLiteral:
      return e.literal;
    case ExprKind::kColumn:
      if (e.alias_of != nullptr) return Evaluate(*e.alias_of, context);
      assert(context.row != nullptr);
      assert(e.column >= 0 &&
             static_cast<size_t>(e.column) < context.row->size());
      return (*context.row)[static_cast<size_t>(e.column)];
    case ExprKind::kParameter:
      assert(context.params != nullptr);
      return (*context.params)[static_cast<size_t>(e.parameter - 1)];
    case ExprKind::kUnary: {
      FORKDB_ASSIGN_OR_RETURN(Value v, Evaluate(*e.args[0], context));
      if (v.is_null()) return v;
      if (e.unary == UnaryOp::kNot) {
        const std::optional<bool> t = Truth(v);
        return Bool(!*t);
      }
      const Value n = ToNumber(v);
      if (e.unary == UnaryOp::kPlus) return v;
      if (n.type() == Type::kReal) return RealResult(-n.real());
      if (n.integer() == std::numeric_limits<int64_t>::min())
        return Overflow(e);
      return Value::Integer(-n.integer());
    }
    case ExprKind::kBinary: {
      if (e.binary == BinaryOp::kAnd || e.binary == BinaryOp::kOr) {
        FORKDB_ASSIGN_OR_RETURN(Value a, Evaluate(*e.args[0], context));
        const std::optional<bool> ta = Truth(a);
        const bool is_and = e.binary == BinaryOp::kAnd;
        // Short cut: FALSE AND x, TRUE OR x.
        if (ta.has_value() && *ta != is_and) return Bool(*ta);
        FORKDB_ASSIGN_OR_RETURN(Value b, Evaluate(*e.args[1], context));
        const std::optional<bool> tb = Truth(b);
        if (tb.has_value() && *tb != is_and) return Bool(*tb);
        if (!ta.has_value() || !tb.has_value()) return Value::Null();
        return Bool(is_and);
      }
      FORKDB_ASSIGN_OR_RETURN(Value a, Evaluate(*e.args[0], context));
      FORKDB_ASSIGN_OR_RETURN(Value b, Evaluate(*e.args[1], context));
      switch (e.binary) {
        case BinaryOp::kAdd:
        case BinaryOp::kSub:
        case BinaryOp::kMul:
        case BinaryOp::kDiv:
        case BinaryOp::kMod:
          return Arithmetic(e, e.binary, a, b);
        case BinaryOp::kConcat:
          if (a.is_null() || b.is_null()) return Value::Null();
          return Value::Text(ValueText(a) + ValueText(b));
        default:
          return Compared(e.binary, a, b);
      }
    }
    case ExprKind::kIsNull: {
      FORKDB_ASSIGN_OR_RETURN(Value v, Evaluate(*e.args[0], context));
      return Bool(v.is_null() != e.negated);
    }
    case ExprKind::kIn: {
      FORKDB_ASSIGN_OR_RETURN(Value v, Evaluate(*e.args[0], context));
      if (e.args.size() == 1) return Bool(e.negated);  // x IN (): false
      if (v.is_null()) return Value::Null();
      bool saw_null = false;
      for (size_t i = 1; i < e.args.size(); ++i) {
        FORKDB_ASSIGN_OR_RETURN(Value item, Evaluate(*e.args[i], context));
        if (item.is_null()) {
          saw_null = true;
        } else if (engine::Compare(v, item) == 0) {
          return Bool(!e.negated);
        }
      }
      if (saw_null) return Value::Null();
      return Bool(e.negated);
    }
    case ExprKind::kBetween: {
      FORKDB_ASSIGN_OR_RETURN(Value v, Evaluate(*e.args[0], context));
      FORKDB_ASSIGN_OR_RETURN(Value lo, Evaluate(*e.args[1], context));
      FORKDB_ASSIGN_OR_RETURN(Value hi, Evaluate(*e.args[2], context));
      const Value ge = Compared(BinaryOp::kGe, v, lo);
      const Value le = Compared(BinaryOp::kLe, v, hi);
      // ge AND le, three-valued.
      std::optional<bool> r;
      const std::optional<bool> a = Truth(ge), b = Truth(le);
      if ((a.has_value() && !*a) || (b.has_value() && !*b)) {
        r = false;
      } else if (a.has_value() && b.has_value()) {
        r = true;
      }
      if (!r.has_value()) return Value::Null();
      return Bool(*r != e.negated);
    }
    case ExprKind::kLike: {
      FORKDB_ASSIGN_OR_RETURN(Value v, Evaluate(*e.args[0], context));
      FORKDB_ASSIGN_OR_RETURN(Value p, Evaluate(*e.args[1], context));
      if (v.is_null() || p.is_null()) return Value::Null();
      return Bool(LikeMatch(ValueText(p), ValueText(v)) != e.negated);
    }
    case ExprKind::kCase: {
      size_t i = 0;
      Value operand;
      if (e.has_operand) {
        FORKDB_ASSIGN_OR_RETURN(operand, Evaluate(*e.args[0], context));
        i = 1;
      }
      const size_t pairs_end = e.args.size() - (e.has_else ? 1 : 0);
      for (; i < pairs_end; i += 2) {
        FORKDB_ASSIGN_OR_RETURN(Value when, Evaluate(*e.args[i], context));
        bool hit;
        if (e.has_operand) {
          hit = !operand.is_null() && !when.is_null() &&
                engine::Compare(operand, when) == 0;
        } else {
          hit = Truth(when).value_or(false);
        }
        if (hit) return Evaluate(*e.args[i + 1], context);
      }
      if (e.has_else) return Evaluate(*e.args.back(), context);
      return Value::Null();
    }
    case ExprKind::kCast: {
      FORKDB_ASSIGN_OR_RETURN(Value v, Evaluate(*e.args[0], context));
      return Cast(v, e.cast_type);
    }
    case ExprKind::kFunction: {
      if (e.aggregate >= 0) {
        assert(context.aggregates != nullptr);
        return (*context.aggregates)[static_cast<size_t>(e.aggregate)];
      }
      std::vector<Value> args;
      args.reserve(e.args.size());
      for (const ExprPtr& a : e.args) {
        FORKDB_ASSIGN_OR_RETURN(Value v, Evaluate(*a, context));
        args.push_back(std::move(v));
      }
      return ScalarFunction(e, args);
    }
  }
  assert(false && "unknown expression kind");
  return Value::Null();
}

Accumulator::Accumulator(const Expr* call) : call_(call) {
  assert(call->kind == ExprKind::kFunction);
}

Status Accumulator::Add(const EvalContext& context) {
  if (call_->star) {
    ++count_;
    return Status();
  }
  FORKDB_ASSIGN_OR_RETURN(Value v, Evaluate(*call_->args[0], context));
  if (v.is_null()) return Status();
  ++count_;
  const std::string& f = call_->name;
  if (f == "min" || f == "max") {
    if (count_ == 1) {
      extreme_ = std::move(v);
    } else {
      const int c = engine::Compare(v, extreme_);
      if (f == "min" ? c < 0 : c > 0) extreme_ = std::move(v);
    }
    return Status();
  }
  if (f == "count") return Status();
  const Value n = ToNumber(v);
  if (n.type() == Type::kReal) {
    has_real_ = true;
    real_sum_ += n.real();
  } else {
    real_sum_ += static_cast<double>(n.integer());
    if (!overflow_ && __builtin_add_overflow(int_sum_, n.integer(), &int_sum_))
      overflow_ = true;
  }
  return Status();
}

Result<Value> Accumulator::Finish() const {
  const std::string& f = call_->name;
  if (f == "count") return Value::Integer(count_);
  if (f == "min" || f == "max") return count_ == 0 ? Value::Null() : extreme_;
  if (f == "total") return Value::Real(real_sum_);
  if (count_ == 0) return Value::Null();
  if (f == "avg") return Value::Real(real_sum_ / static_cast<double>(count_));
  assert(f == "sum");
  if (has_real_) return Value::Real(real_sum_);
  if (overflow_) return Overflow(*call_);
  return Value::Integer(int_sum_);
}

void NormalizeBooleans(engine::Row* row) {
  for (Value& v : *row)
    if (v.type() == Type::kBoolean) v = Value::Integer(v.integer());
}

}  // namespace forkdb::sql

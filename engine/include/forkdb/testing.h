// forkdb/testing.h: a GoogleTest fixture that seeds a database once per test
// suite and gives every test its own fork of the seeded state, thrown away
// after the test (DESIGN.md, "Who uses it": test authors). Header-only; the
// test links GoogleTest itself (forkdb::forkdb does not bring it).
//
//   class UsersTest : public forkdb::testing::ForkedDatabaseTest<UsersTest> {
//    public:
//     // Runs once per suite, in a transaction on fork "main" that the
//     // fixture commits.
//     static forkdb::Status Seed(forkdb::engine::Transaction& txn) {
//       return txn.CreateTable(UsersSpec()).status();
//     }
//   };
//
//   TEST_F(UsersTest, InsertStaysInThisTestsFork) {
//     forkdb::engine::Transaction txn = Begin();  // on fork()
//     FORKDB_ASSERT_OK(txn.Insert("users", {...}));
//     FORKDB_ASSERT_OK(txn.Commit());
//   }  // the fork is dropped: the next test sees only the seed
//
// Lifecycle and guarantees:
//   1. SetUpTestSuite() opens Derived::OpenDatabase() (in memory unless the
//      suite hides OpenDatabase() with its own) and runs Derived::Seed once.
//      Seed is static and takes either a Transaction& on "main" (committed by
//      the fixture if Seed leaves it open) or the Database& (to build several
//      forks, or several commits); it returns Status or void (then gtest
//      assertions report failures). If seeding fails, every test of the suite
//      fails (or is skipped by GoogleTest) with the Status text.
//   2. SetUp() creates fork() from "main": O(1) in the seed's size. Its name
//      is "<Suite>.<Test>" with every character outside [A-Za-z0-9_.-]
//      replaced by '_', at most 64 characters, and unique in the database.
//   3. TearDown() drops every fork created since SetUp() began (fork() and
//      any fork the test made, children first), so no test sees another's
//      writes. A fork that cannot be dropped, typically because the test left
//      a Transaction open (say, in a fixture member), fails the test with the
//      fork's name and the Status text.
//   4. Tests must not write "main": later tests of the suite would see it.
//      TearDown() fails a test that committed to main or dropped it.
//   5. Errors are gtest failures carrying the Status text; nothing throws.
//
// A suite that overrides SetUp() or TearDown() calls the fixture's first
// (SetUp) or last (TearDown). Threads: like any gtest fixture, set-up and
// tear-down run on the test's thread; the Database itself may be used from
// any thread (forkdb/database.h).
#ifndef FORKDB_TESTING_H_
#define FORKDB_TESTING_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "forkdb/database.h"
#include "forkdb/status.h"

// Status assertions for tests: each accepts a Status or a Result<T> and, on
// failure, fails the test with the expression and the Status text
// ("txn.Commit(): Busy: ..."). The ASSERT forms return from the function.
#define FORKDB_EXPECT_OK(expr)                                            \
  do {                                                                    \
    const ::forkdb::Status forkdb_expect_status_ =                        \
        ::forkdb::testing::internal::StatusOf(expr);                      \
    if (!forkdb_expect_status_.ok())                                      \
      ADD_FAILURE() << #expr << ": " << forkdb_expect_status_.ToString(); \
  } while (0)
#define FORKDB_ASSERT_OK(expr)                                           \
  do {                                                                   \
    const ::forkdb::Status forkdb_assert_status_ =                       \
        ::forkdb::testing::internal::StatusOf(expr);                     \
    if (!forkdb_assert_status_.ok())                                     \
      GTEST_FAIL() << #expr << ": " << forkdb_assert_status_.ToString(); \
  } while (0)
// FORKDB_ASSERT_OK_AND_ASSIGN(auto row, txn.Insert(...)): declares (or
// assigns) the value of a Result, or fails the test with its Status.
#define FORKDB_ASSERT_OK_AND_ASSIGN(lhs, expr) \
  FORKDB_ASSERT_OK_AND_ASSIGN_IMPL_(           \
      FORKDB_CONCAT_(forkdb_assert_result_, __LINE__), lhs, expr, #expr)
#define FORKDB_ASSERT_OK_AND_ASSIGN_IMPL_(result, lhs, expr, text) \
  auto result = (expr);                                            \
  if (!result.ok())                                                \
    GTEST_FAIL() << text << ": " << result.status().ToString();    \
  lhs = std::move(result).value()

namespace forkdb::testing {

namespace internal {

inline Status StatusOf(const Status& s) { return s; }
template <typename T>
Status StatusOf(const Result<T>& r) {
  return r.status();
}

template <typename>
inline constexpr bool kDependentFalse = false;

// A short, stable hash (FNV-1a) that keeps truncated fork names distinct.
inline uint32_t NameHash(std::string_view s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

}  // namespace internal

// The longest fork name the database accepts (forkdb/database.h).
inline constexpr size_t kForkNameMax = 64;

// "<suite>.<test>" as a valid fork name: characters outside [A-Za-z0-9_.-]
// become '_'; a name longer than kForkNameMax keeps its head and ends in '-'
// and 8 hex digits of a hash of the whole name, so that long parameterized
// names stay distinct. Pure; O(length).
inline std::string ForkNameForTest(std::string_view suite,
                                   std::string_view test) {
  std::string name;
  name.reserve(suite.size() + 1 + test.size());
  name.append(suite).append(".").append(test);
  for (char& c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) c = '_';
  }
  if (name.size() > kForkNameMax) {
    char hash[16];
    std::snprintf(hash, sizeof(hash), "-%08x", internal::NameHash(name));
    name.resize(kForkNameMax - 9);
    name += hash;
  }
  return name;
}

// Every row of `table` that `reader` (a Snapshot or a Transaction) sees in
// `range`, in key order. A failure is added to the current test (with the
// Status text) and ends the list. O(rows).
inline std::vector<engine::Row> ReadRows(const engine::Reader& reader,
                                         std::string_view table,
                                         const engine::ScanRange& range = {}) {
  std::vector<engine::Row> rows;
  Result<engine::Cursor> cursor = reader.Scan(table, range);
  if (!cursor.ok()) {
    ADD_FAILURE() << "scanning " << table << ": " << cursor.status().ToString();
    return rows;
  }
  while (cursor->Valid()) {
    rows.push_back(cursor->row());
    if (Status s = cursor->Next(); !s.ok()) {
      ADD_FAILURE() << "scanning " << table << ": " << s.ToString();
      return rows;
    }
  }
  return rows;
}

// The fixture (see the file comment). Derived is the suite's own class
// (CRTP), so that each suite has its own seeded database.
template <typename Derived>
class ForkedDatabaseTest : public ::testing::Test {
 public:
  // The database a suite seeds; hide it in Derived for another one, e.g.
  // `static forkdb::Result<Database> OpenDatabase() { return
  // Database::Open(dir, options); }`.
  static Result<engine::Database> OpenDatabase() {
    return engine::Database::Open();
  }

  static void SetUpTestSuite() {
    db_ = engine::Database();
    seed_error_.clear();
    Status s = OpenAndSeed();
    if (!s.ok()) {
      seed_error_ = s.ToString();
      db_ = engine::Database();
      ADD_FAILURE() << "forkdb::testing: seeding the suite's database failed: "
                    << seed_error_;
    }
  }

  static void TearDownTestSuite() {
    // The store closes when the last handle goes; snapshots or transactions
    // a test kept in static storage keep it open until they go.
    db_ = engine::Database();
  }

 protected:
  void SetUp() override {
    if (!seed_error_.empty())
      GTEST_FAIL() << "forkdb::testing: the suite's seed failed: "
                   << seed_error_;
    if (!db_.valid())
      GTEST_FAIL() << "forkdb::testing: no database (did the suite's "
                      "SetUpTestSuite run? the suite's class must derive "
                      "from ForkedDatabaseTest<itself>, and a suite that "
                      "hides SetUpTestSuite() must call the fixture's)";
    // Fork ids only grow, so the forks from this id on are the test's:
    // TearDown() drops them.
    first_test_fork_id_ = 0;
    main_commit_seq_ = 0;
    for (const engine::ForkInfo& f : db_.ListForks()) {
      first_test_fork_id_ = std::max(first_test_fork_id_, f.id + 1);
      if (f.name == engine::kMainFork) main_commit_seq_ = f.commit_seq;
    }
    armed_ = true;

    const ::testing::TestInfo* info =
        ::testing::UnitTest::GetInstance()->current_test_info();
    const std::string base =
        ForkNameForTest(info->test_suite_name(), info->name());
    std::string name = base;
    for (int n = 2; db_.GetFork(name).ok(); ++n) {
      const std::string suffix = "-" + std::to_string(n);
      name =
          base.substr(0, std::min(base.size(), kForkNameMax - suffix.size())) +
          suffix;
    }
    Result<engine::ForkInfo> fork = db_.CreateFork(name, engine::kMainFork);
    if (!fork.ok())
      GTEST_FAIL() << "forkdb::testing: creating fork '" << name
                   << "' from main: " << fork.status().ToString();
    fork_ = std::move(name);
  }

  void TearDown() override {
    if (!armed_ || !db_.valid()) return;
    std::vector<engine::ForkInfo> forks = db_.ListForks();  // by id
    std::string errors;
    // Newest first: a child always has a larger id than its parent.
    for (auto f = forks.rbegin(); f != forks.rend(); ++f) {
      if (f->id < first_test_fork_id_) break;
      if (Status s = db_.DropFork(f->name); !s.ok()) {
        errors += "\n  fork '" + f->name + "': " + s.ToString();
      }
    }
    if (!errors.empty()) {
      ADD_FAILURE() << "forkdb::testing: cannot drop the forks this test made "
                       "(a Transaction still open? end every transaction "
                       "before the test returns):"
                    << errors;
    }
    // Guarantee 4: the next tests fork main, so a write there reaches them.
    Result<engine::ForkInfo> main = db_.GetFork(engine::kMainFork);
    if (!main.ok()) {
      ADD_FAILURE() << "forkdb::testing: the test dropped main, which the "
                       "next tests of the suite fork: "
                    << main.status().ToString();
    } else if (main->commit_seq != main_commit_seq_) {
      ADD_FAILURE() << "forkdb::testing: the test committed "
                    << main->commit_seq - main_commit_seq_
                    << " transaction(s) to main, which the next tests of the "
                       "suite fork and would see: write fork() instead";
    }
  }

  // The suite's database, seeded; main holds the seed.
  engine::Database& db() { return db_; }
  // The name of this test's fork.
  const std::string& fork() const { return fork_; }

  // A transaction on fork(); on error, a failure with the Status text is
  // added to the test and the returned handle is empty (every call on it is
  // InvalidArgument).
  engine::Transaction Begin() {
    Result<engine::Transaction> txn = db_.Begin(fork_);
    if (!txn.ok()) {
      ADD_FAILURE() << "forkdb::testing: Begin(" << fork_
                    << "): " << txn.status().ToString();
      return engine::Transaction();
    }
    return std::move(txn).value();
  }

  // The committed state of fork(), O(1). Named like Database::GetSnapshot
  // (a member named Snapshot would hide the type in test bodies). Errors as
  // for Begin().
  engine::Snapshot GetSnapshot() {
    Result<engine::Snapshot> snap = db_.GetSnapshot(fork_);
    if (!snap.ok()) {
      ADD_FAILURE() << "forkdb::testing: GetSnapshot(" << fork_
                    << "): " << snap.status().ToString();
      return engine::Snapshot();
    }
    return std::move(snap).value();
  }

 private:
  // Turns a Seed() that returns void (and reports through gtest assertions)
  // or Status into a Status.
  template <typename F>
  static Status RunSeed(F&& seed) {
    using R = decltype(seed());
    if constexpr (std::is_void_v<R>) {
      seed();
      if (::testing::Test::HasFailure())
        return Status::Aborted("Seed() reported a failure (see above)");
      return Status();
    } else {
      static_assert(std::is_same_v<R, Status>,
                    "Seed() must return void or forkdb::Status");
      return seed();
    }
  }

  static Status OpenAndSeed() {
    Result<engine::Database> db = Derived::OpenDatabase();
    if (!db.ok()) return db.status().WithContext("opening the database");
    db_ = std::move(db).value();
    if constexpr (requires(engine::Database & d) { Derived::Seed(d); }) {
      return RunSeed([] { return Derived::Seed(db_); });
    } else if constexpr (requires(engine::Transaction & t) {
                           Derived::Seed(t);
                         }) {
      Result<engine::Transaction> txn = db_.Begin(engine::kMainFork);
      if (!txn.ok()) return txn.status().WithContext("beginning on main");
      FORKDB_RETURN_IF_ERROR(RunSeed([&] { return Derived::Seed(*txn); }));
      if (txn->active())
        FORKDB_RETURN_IF_ERROR(
            txn->Commit().WithContext("committing the seed"));
      return Status();
    } else {
      static_assert(internal::kDependentFalse<Derived>,
                    "the suite's class must declare `static Status "
                    "Seed(forkdb::engine::Transaction&)` or `static Status "
                    "Seed(forkdb::engine::Database&)` (or return void)");
      return Status();
    }
  }

  static inline engine::Database db_;
  static inline std::string seed_error_;

  std::string fork_;
  uint64_t first_test_fork_id_ = 0;
  uint64_t main_commit_seq_ = 0;  // main's commits when SetUp() ran
  bool armed_ = false;  // SetUp() got as far as taking first_test_fork_id_
};

}  // namespace forkdb::testing

#endif  // FORKDB_TESTING_H_

// FaultInjectionBlockStore: a BlockStore that forwards every call to a real
// backend and can be armed to make one of the coming backend operations fail
// with IOError, as SQLite's I/O error tests do (sqlite/sqlite:test/ioerr.test).
//
// Counted operations: ReadBlock, Commit, ReadRecord, IsEmpty, one for the start
// of each ScanRecords / ScanBlockIds call and, if the schedule says so, one for
// every item a scan delivers (so a scan can also fail half way, as an iterator
// error would). The TEST_ hooks are forwarded uncounted and never fail.
//
// A failed operation never reaches the real backend: a failed Commit writes
// nothing, like a write the device refused.
//
// Invariants:
//   1. While disarmed, every call is forwarded unchanged.
//   2. Armed with k, operations 1..k-1 after the arming succeed, operation k
//      fails, and so does every later one if the fault is persistent.
//
// The arming and the counters live in a FaultSchedule that the test may share
// with the wrapper, so that they outlive a wrapper destroyed by a failed
// Store::Open.
//
// Thread safety: as the wrapped backend; the counters are atomics (relaxed:
// they order nothing, each is a plain event count).
#ifndef FORKDB_TESTS_COW_FAULT_INJECTION_BLOCK_STORE_H_
#define FORKDB_TESTS_COW_FAULT_INJECTION_BLOCK_STORE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "cow/block_store.h"

namespace forkdb::cow {

// When to fail, and what happened since the arming.
class FaultSchedule {
 public:
  // Makes the k-th counted operation from now fail (k >= 1); with
  // `persistent`, every operation after it fails too, until Disarm().
  void Arm(uint64_t k, bool persistent) {
    ops_.store(0, std::memory_order_relaxed);
    hits_.store(0, std::memory_order_relaxed);
    persistent_.store(persistent, std::memory_order_relaxed);
    fail_at_.store(k, std::memory_order_relaxed);
  }
  void Disarm() { fail_at_.store(0, std::memory_order_relaxed); }
  // Whether each item a scan delivers counts as one more operation.
  void set_count_scan_items(bool on) {
    count_scan_items_.store(on, std::memory_order_relaxed);
  }
  bool count_scan_items() const {
    return count_scan_items_.load(std::memory_order_relaxed);
  }
  // Operations counted since the last Arm().
  uint64_t operations() const { return ops_.load(std::memory_order_relaxed); }
  // Operations failed since the last Arm().
  uint64_t faults() const { return hits_.load(std::memory_order_relaxed); }

  // Counts one operation; true if it must fail (invariant 2).
  bool MaybeFail() {
    uint64_t n = ops_.fetch_add(1, std::memory_order_relaxed) + 1;
    uint64_t k = fail_at_.load(std::memory_order_relaxed);
    if (k == 0 || n < k) return false;
    if (n > k && !persistent_.load(std::memory_order_relaxed)) return false;
    hits_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }

 private:
  std::atomic<uint64_t> fail_at_{0};  // 0: disarmed
  std::atomic<bool> persistent_{false};
  std::atomic<bool> count_scan_items_{true};
  std::atomic<uint64_t> ops_{0};
  std::atomic<uint64_t> hits_{0};
};

class FaultInjectionBlockStore final : public BlockStore {
 public:
  explicit FaultInjectionBlockStore(std::unique_ptr<BlockStore> target,
                                    std::shared_ptr<FaultSchedule> schedule =
                                        std::make_shared<FaultSchedule>())
      : target_(std::move(target)), schedule_(std::move(schedule)) {}

  void Arm(uint64_t k, bool persistent) { schedule_->Arm(k, persistent); }
  void Disarm() { schedule_->Disarm(); }
  uint64_t operations() const { return schedule_->operations(); }
  uint64_t faults() const { return schedule_->faults(); }
  const std::shared_ptr<FaultSchedule>& schedule() const { return schedule_; }
  BlockStore* target() { return target_.get(); }

  uint32_t block_size() const override { return target_->block_size(); }
  bool persistent() const override { return target_->persistent(); }

  Result<BlockRef> ReadBlock(BlockId id) override {
    if (MaybeFail()) return Fault("reading block ", id);
    return target_->ReadBlock(id);
  }
  Status Commit(const CommitBatch& batch) override {
    if (MaybeFail()) return Fault("commit");
    return target_->Commit(batch);
  }
  Result<std::optional<std::string>> ReadRecord(std::string_view key) override {
    if (MaybeFail()) return Fault("reading record '", key, "'");
    return target_->ReadRecord(key);
  }
  Status ScanRecords(
      std::string_view prefix,
      const std::function<Status(std::string_view, std::string_view)>& fn)
      override {
    if (MaybeFail()) return Fault("scanning records '", prefix, "'");
    return target_->ScanRecords(
        prefix, [&](std::string_view key, std::string_view value) -> Status {
          if (schedule_->count_scan_items() && MaybeFail()) {
            return Fault("scanning records at '", key, "'");
          }
          return fn(key, value);
        });
  }
  Result<bool> IsEmpty() override {
    if (MaybeFail()) return Fault("scanning");
    return target_->IsEmpty();
  }
  Status ScanBlockIds(const std::function<Status(BlockId)>& fn) override {
    if (MaybeFail()) return Fault("scanning blocks");
    return target_->ScanBlockIds([&](BlockId id) -> Status {
      if (schedule_->count_scan_items() && MaybeFail()) {
        return Fault("scanning blocks at block ", id);
      }
      return fn(id);
    });
  }
  Status TEST_CorruptBlock(BlockId id, uint32_t offset, uint8_t mask) override {
    return target_->TEST_CorruptBlock(id, offset, mask);
  }
  Status TEST_PutBlock(BlockId id, BlockRef block) override {
    return target_->TEST_PutBlock(id, std::move(block));
  }

 private:
  bool MaybeFail() { return schedule_->MaybeFail(); }
  template <typename... Args>
  Status Fault(Args&&... what) {
    return Status::IOError(std::forward<Args>(what)...,
                           ": injected fault at operation ", operations());
  }

  std::unique_ptr<BlockStore> target_;
  const std::shared_ptr<FaultSchedule> schedule_;
};

}  // namespace forkdb::cow

#endif  // FORKDB_TESTS_COW_FAULT_INJECTION_BLOCK_STORE_H_

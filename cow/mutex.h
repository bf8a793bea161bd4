// forkdb::Mutex: std::mutex with Clang thread-safety annotations, so that the
// `clang-tsa` preset (-Wthread-safety) checks FORKDB_GUARDED_BY and
// FORKDB_REQUIRES.
#ifndef FORKDB_COW_MUTEX_H_
#define FORKDB_COW_MUTEX_H_

#include <mutex>
#include <shared_mutex>

#if defined(__clang__)
#define FORKDB_TSA_(x) __attribute__((x))
#else
#define FORKDB_TSA_(x)
#endif

#define FORKDB_CAPABILITY(x) FORKDB_TSA_(capability(x))
#define FORKDB_SCOPED_CAPABILITY FORKDB_TSA_(scoped_lockable)
#define FORKDB_GUARDED_BY(x) FORKDB_TSA_(guarded_by(x))
#define FORKDB_PT_GUARDED_BY(x) FORKDB_TSA_(pt_guarded_by(x))
#define FORKDB_REQUIRES(...) FORKDB_TSA_(requires_capability(__VA_ARGS__))
#define FORKDB_REQUIRES_SHARED(...) \
  FORKDB_TSA_(requires_shared_capability(__VA_ARGS__))
#define FORKDB_ACQUIRE(...) FORKDB_TSA_(acquire_capability(__VA_ARGS__))
#define FORKDB_ACQUIRE_SHARED(...) \
  FORKDB_TSA_(acquire_shared_capability(__VA_ARGS__))
#define FORKDB_RELEASE(...) FORKDB_TSA_(release_capability(__VA_ARGS__))
#define FORKDB_RELEASE_SHARED(...) \
  FORKDB_TSA_(release_shared_capability(__VA_ARGS__))
#define FORKDB_EXCLUDES(...) FORKDB_TSA_(locks_excluded(__VA_ARGS__))
#define FORKDB_ACQUIRED_AFTER(...) FORKDB_TSA_(acquired_after(__VA_ARGS__))
#define FORKDB_NO_THREAD_SAFETY_ANALYSIS FORKDB_TSA_(no_thread_safety_analysis)

namespace forkdb {

class FORKDB_CAPABILITY("mutex") Mutex {
 public:
  void Lock() FORKDB_ACQUIRE() { mu_.lock(); }
  void Unlock() FORKDB_RELEASE() { mu_.unlock(); }

 private:
  std::mutex mu_;
};

class FORKDB_CAPABILITY("shared_mutex") SharedMutex {
 public:
  void Lock() FORKDB_ACQUIRE() { mu_.lock(); }
  void Unlock() FORKDB_RELEASE() { mu_.unlock(); }
  void LockShared() FORKDB_ACQUIRE_SHARED() { mu_.lock_shared(); }
  void UnlockShared() FORKDB_RELEASE_SHARED() { mu_.unlock_shared(); }

 private:
  std::shared_mutex mu_;
};

class FORKDB_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) FORKDB_ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() FORKDB_RELEASE() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

class FORKDB_SCOPED_CAPABILITY WriterLock {
 public:
  explicit WriterLock(SharedMutex* mu) FORKDB_ACQUIRE(mu) : mu_(mu) {
    mu_->Lock();
  }
  ~WriterLock() FORKDB_RELEASE() { mu_->Unlock(); }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  SharedMutex* const mu_;
};

class FORKDB_SCOPED_CAPABILITY ReaderLock {
 public:
  explicit ReaderLock(SharedMutex* mu) FORKDB_ACQUIRE_SHARED(mu) : mu_(mu) {
    mu_->LockShared();
  }
  ~ReaderLock() FORKDB_RELEASE() { mu_->UnlockShared(); }
  ReaderLock(const ReaderLock&) = delete;
  ReaderLock& operator=(const ReaderLock&) = delete;

 private:
  SharedMutex* const mu_;
};

}  // namespace forkdb

#endif  // FORKDB_COW_MUTEX_H_

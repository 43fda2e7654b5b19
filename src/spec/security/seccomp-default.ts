/**
 * Docker's default seccomp profile (moby `profiles/seccomp/default.json`, 2025), as data.
 *
 * Default action: EPERM. Allowed: the everyday system calls below; a few more only for
 * a container granted the capability that guards them (mount, unshare, setns, bpf,
 * perf_event_open, the new mount API... with CAP_SYS_ADMIN; reboot with CAP_SYS_BOOT;
 * module loading with CAP_SYS_MODULE; ptrace helpers with CAP_SYS_PTRACE...). `clone`
 * is allowed without namespace flags; `clone3` answers ENOSYS (its flags live in
 * memory a filter cannot read) so the C library falls back to `clone`; `socket`
 * refuses AF_ALG (38) and AF_VSOCK (40); `personality` accepts only the harmless personas. Never
 * allowed at all: keyctl, add_key, request_key, kexec_load, kexec_file_load,
 * swapon/swapoff, pivot_root, userfaultfd, io_uring_*, open_by_handle_at (without
 * CAP_DAC_READ_SEARCH), and every system call not named here.
 * `ptrace` is allowed on kernels from 4.8 on (earlier ones let it bypass seccomp).
 */
import type { SeccompProfile, SeccompRule } from './seccomp';

/** Namespace flags `clone` may not carry without CAP_SYS_ADMIN: NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET. */
export const CLONE_NAMESPACE_FLAGS = 0x7e020000n;
/** AF_ALG (kernel crypto API) and AF_VSOCK (talks to the hypervisor): refused. */
export const AF_ALG = 38n;
export const AF_VSOCK = 40n;

const ALLOWED = `
  accept accept4 access adjtimex alarm bind brk cachestat capget capset chdir chmod chown chown32
  clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64
  clock_nanosleep clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2
  dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait
  epoll_wait_old eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64
  fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchmodat2 fchown fchown32 fchownat
  fcntl fcntl64 fdatasync fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat fstat64
  fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex futex_requeue futex_time64
  futex_wait futex_waitv futex_wake futimesat getcpu getcwd getdents getdents64 getegid getegid32
  geteuid geteuid32 getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp
  getpid getppid getpriority getrandom getresgid getresgid32 getresuid getresuid32 getrlimit
  get_robust_list getrusage getsid getsockname getsockopt get_thread_area gettid gettimeofday
  getuid getuid32 getxattr getxattrat inotify_add_watch inotify_init inotify_init1
  inotify_rm_watch io_cancel ioctl io_destroy io_getevents io_pgetevents io_pgetevents_time64
  ioprio_get ioprio_set io_setup io_submit ipc kill landlock_add_rule landlock_create_ruleset
  landlock_restrict_self lchown lchown32 lgetxattr link linkat listen listmount listxattr
  listxattrat llistxattr _llseek lremovexattr lseek lsetxattr lstat lstat64 madvise
  map_shadow_stack membarrier memfd_create memfd_secret mincore mkdir mkdirat mknod mknodat mlock
  mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify mq_open mq_timedreceive
  mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink mremap mseal msgctl msgget
  msgrcv msgsnd msync munlock munlockall munmap name_to_handle_at nanosleep newfstatat _newselect
  open openat openat2 pause pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free
  pkey_mprotect poll ppoll ppoll_time64 prctl pread64 preadv preadv2 prlimit64 process_mrelease
  pselect6 pselect6_time64 pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv recv
  recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages removexattr removexattrat rename
  renameat renameat2 restart_syscall riscv_hwprobe rmdir rseq rt_sigaction rt_sigpending
  rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64
  rt_tgsigqueueinfo sched_getaffinity sched_getattr sched_getparam sched_get_priority_max
  sched_get_priority_min sched_getscheduler sched_rr_get_interval sched_rr_get_interval_time64
  sched_setaffinity sched_setattr sched_setparam sched_setscheduler sched_yield seccomp select
  semctl semget semop semtimedop semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg
  sendto setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer
  setpgid setpriority setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid
  setreuid32 setrlimit set_robust_list setsid setsockopt set_thread_area set_tid_address setuid
  setuid32 setxattr setxattrat shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4
  sigprocmask sigreturn socketcall socketpair splice stat stat64 statfs statfs64 statmount statx
  symlink symlinkat sync sync_file_range syncfs sysinfo tee tgkill time timer_create timer_delete
  timer_getoverrun timer_gettime timer_gettime64 timer_settime timer_settime64 timerfd_create
  timerfd_gettime timerfd_gettime64 timerfd_settime timerfd_settime64 times tkill truncate
  truncate64 ugetrlimit umask uname unlink unlinkat uretprobe utime utimensat utimensat_time64
  utimes vfork vmsplice wait4 waitid waitpid write writev
`
  .trim()
  .split(/\s+/);

const allow = (names: string, extra: Omit<SeccompRule, 'names' | 'action'> = {}): SeccompRule => ({
  names: names.split(' '),
  action: 'SCMP_ACT_ALLOW',
  ...extra,
});
const cap = (c: string) => ({ caps: [c] });
const arg0 = (op: 'SCMP_CMP_EQ' | 'SCMP_CMP_LT' | 'SCMP_CMP_GT', value: bigint) => ({
  args: [{ index: 0, value, valueTwo: 0n, op }],
});

export const DEFAULT_SECCOMP_PROFILE: SeccompProfile = deepFreeze({
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 1, // EPERM
  archMap: [
    { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
    { architecture: 'SCMP_ARCH_MIPS64', subArchitectures: ['SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64N32'] },
    { architecture: 'SCMP_ARCH_MIPS64N32', subArchitectures: ['SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64'] },
    { architecture: 'SCMP_ARCH_MIPSEL64', subArchitectures: ['SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64N32'] },
    { architecture: 'SCMP_ARCH_MIPSEL64N32', subArchitectures: ['SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64'] },
    { architecture: 'SCMP_ARCH_S390X', subArchitectures: ['SCMP_ARCH_S390'] },
    { architecture: 'SCMP_ARCH_RISCV64', subArchitectures: [] },
    { architecture: 'SCMP_ARCH_LOONGARCH64', subArchitectures: [] },
  ],
  syscalls: [
    { names: ALLOWED, action: 'SCMP_ACT_ALLOW' },
    allow('process_vm_readv process_vm_writev ptrace', { includes: { minKernel: '4.8' } }),
    // socket: every address family but AF_ALG (38, kernel crypto) and AF_VSOCK (40).
    allow('socket', arg0('SCMP_CMP_LT', AF_ALG)),
    allow('socket', arg0('SCMP_CMP_EQ', 39n)),
    allow('socket', arg0('SCMP_CMP_GT', AF_VSOCK)),
    // personality: PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and the query 0xffffffff.
    allow('personality', arg0('SCMP_CMP_EQ', 0x0n)),
    allow('personality', arg0('SCMP_CMP_EQ', 0x8n)),
    allow('personality', arg0('SCMP_CMP_EQ', 0x20000n)),
    allow('personality', arg0('SCMP_CMP_EQ', 0x20008n)),
    allow('personality', arg0('SCMP_CMP_EQ', 0xffffffffn)),
    allow('sync_file_range2 swapcontext', { includes: { arches: ['ppc64le'] } }),
    allow('arm_fadvise64_64 arm_sync_file_range sync_file_range2 breakpoint cacheflush set_tls', {
      includes: { arches: ['arm', 'arm64'] },
    }),
    allow('arch_prctl', { includes: { arches: ['amd64', 'x32'] } }),
    allow('modify_ldt', { includes: { arches: ['amd64', 'x32', 'x86'] } }),
    allow('s390_pci_mmio_read s390_pci_mmio_write s390_runtime_instr', { includes: { arches: ['s390', 's390x'] } }),
    allow('riscv_flush_icache', { includes: { arches: ['riscv64'] } }),
    allow('open_by_handle_at', { includes: cap('CAP_DAC_READ_SEARCH') }),
    allow(
      'bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie lsm_get_self_attr ' +
        'lsm_list_modules lsm_set_self_attr mount mount_setattr move_mount open_tree perf_event_open ' +
        'quotactl quotactl_fd setdomainname sethostname setns syslog umount umount2 unshare',
      { includes: cap('CAP_SYS_ADMIN') },
    ),
    // clone without namespace flags: (flags & CLONE_NAMESPACE_FLAGS) == 0.
    allow('clone', {
      args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0n, op: 'SCMP_CMP_MASKED_EQ' }],
      excludes: { caps: ['CAP_SYS_ADMIN'], arches: ['s390', 's390x'] },
    }),
    allow('clone', {
      comment: 's390 passes the clone flags second',
      args: [{ index: 1, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0n, op: 'SCMP_CMP_MASKED_EQ' }],
      includes: { arches: ['s390', 's390x'] },
      excludes: { caps: ['CAP_SYS_ADMIN'] },
    }),
    // clone3's flags are behind a pointer: answer ENOSYS so the C library uses clone.
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38, excludes: cap('CAP_SYS_ADMIN') },
    allow('reboot', { includes: cap('CAP_SYS_BOOT') }),
    allow('chroot', { includes: cap('CAP_SYS_CHROOT') }),
    allow('delete_module init_module finit_module', { includes: cap('CAP_SYS_MODULE') }),
    allow('acct', { includes: cap('CAP_SYS_PACCT') }),
    allow('kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace', {
      includes: cap('CAP_SYS_PTRACE'),
    }),
    allow('iopl ioperm', { includes: cap('CAP_SYS_RAWIO') }),
    allow('settimeofday stime clock_settime clock_settime64', { includes: cap('CAP_SYS_TIME') }),
    allow('vhangup', { includes: cap('CAP_SYS_TTY_CONFIG') }),
    allow('get_mempolicy mbind set_mempolicy set_mempolicy_home_node', { includes: cap('CAP_SYS_NICE') }),
    allow('syslog', { includes: cap('CAP_SYSLOG') }),
    allow('bpf', { includes: cap('CAP_BPF') }),
    allow('perf_event_open', { includes: cap('CAP_PERFMON') }),
  ],
});

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

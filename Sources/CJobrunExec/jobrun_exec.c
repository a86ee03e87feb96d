// jobrun-exec: starts every job for jobrun and ties each job's life to jobrun's.
//
//   jobrun-exec --serve        fd 3: a connected stream socket to jobrun
//
// jobrun starts one jobrun-exec when a run begins; it starts each job through it instead of
// forking itself (a fork of jobrun, with its runtime and threads, costs far more than one of
// this small, single-threaded program). It runs in a session of its own, so a terminal's
// Ctrl-C reaches jobrun and not the jobs, and blocks every signal.
//
// Each job runs under a *keeper*: a process forked by this one, which runs one job at a time.
// A keeper has a channel (a sequenced-packet socket pair) whose other end jobrun holds: a
// keeper whose job has ended waits there for the next job jobrun hands it, so that a job's
// start costs neither a fork but the job's own (a vfork) nor a hop through this process. A
// keeper is forked only when none waits, so there are as many as jobs ever ran at once.
// A keeper:
// - starts the job as the leader of a new process group, with the given stdin, stdout and
//   stderr, working directory, arguments and environment, default signal dispositions and
//   an empty signal mask;
// - is a child subreaper: a descendant that daemonizes (double fork, setsid) is reparented
//   to it instead of to init;
// - when the job's main process ends, kills what it left in its process group, then every
//   such reparented descendant, and then tells jobrun how the job ended. It stays outside
//   the job's group, so it does this even when the group was killed with SIGKILL;
// - forwards the signals jobrun asks for to the job's group;
// - kills the job at its deadline, when jobrun gave it one and did not move it in time;
// - dies with jobrun: when jobrun dies, even by SIGKILL, the kernel closes jobrun's end of
//   the socket, this process sees the end of it and exits, and every keeper gets its
//   parent-death signal, kills its job's group and its leftovers, and exits; a keeper that
//   waits for a job sees the end of its channel, which only jobrun holds (and closes when
//   this process ends), and exits.
//
// The protocol (native byte order: both ends run on one machine):
// - jobrun-exec greets with a reply {id 0, JOBRUN_EXEC_HELLO, JOBRUN_EXEC_PROTOCOL}.
// - jobrun sends requests: a header {u32 kind, u32 a, u32 b, u32 length, u64 id, u64 start,
//   u64 deadline}, then `length` bytes of payload.
//   - START, with the job's stdin, stdout and stderr as SCM_RIGHTS on the header: a = argc,
//     b = number of environment entries; the payload is PROGRAM\0 WORKDIR\0 (empty: stay)
//     ARGV...\0 ENV...\0. `start`, when not 0, is the CLOCK_BOOTTIME instant (ns) to start
//     the job at: jobrun hands runs over a little ahead of their due instant, and the keeper,
//     set up and waiting, starts the job on the instant (a SIGNAL before then cancels it:
//     NOT_STARTED, ECANCELED).
//     `deadline`, when not 0, is the CLOCK_BOOTTIME instant (ns) at which the job is killed
//     with SIGKILL unless a LEASE moves it first: in a cluster, the instant before which the
//     lease on the job's run must have been renewed. This process does it, not jobrun, so it
//     happens also while jobrun is stopped (SIGSTOP) or cannot reach its store.
//   - SIGNAL: a = the signal to send to the job's group; no payload. Ignored when the job
//     has ended.
//   - LEASE: `deadline` is the new deadline of every running job that has one, where it is
//     later (a lease renewal proves every lease the replica holds).
//   - DEADLINE: b = a keeper's number + 1: jobrun hands that keeper job `id`, with `deadline`
//     (sent before the job, so that this process kills it then).
//   SIGNAL's b, when not 0, is the number + 1 of the job's keeper; 0: the keeper is found by
//   the job's id (a keeper without a channel).
// - A START for a keeper that waits goes on its channel instead, as one packet: the header,
//   the payload (at most JOBRUN_EXEC_CHANNEL_PAYLOAD bytes; a longer one goes to this
//   process) and the three descriptors.
// - Replies are {u64 id, i32 kind, i32 value}: ENDED with the job's wait status, from the
//   keeper once the job and everything it left are gone; NOT_STARTED with an errno (the
//   request was malformed, no keeper (or, for a job due later, no job process) could be
//   forked, or ECANCELED: a SIGNAL came before its start); LOST with the keeper's own wait
//   status, from the server, when a
//   keeper was killed before it could reply; EXPIRED with the job's wait status (or SIGKILL,
//   for a job killed before its start) instead of ENDED, when it was killed at its deadline;
//   KEEPER, from the server before it forks a keeper for job `id`, with the keeper's number
//   and jobrun's end of its channel (SCM_RIGHTS); KEEPER_LOST, from the server, with `id` a
//   keeper's number and its wait status, when a keeper with a channel was killed (jobrun knows
//   which job it had, and whether its end was told). A keeper without a channel (more than
//   SLOTS at once) runs one job; its loss is told with LOST. Every reply is written whole by
//   one write, so the keepers and the server can share the socket.
// A job that cannot be started (no such program, no working directory) ends with status
// 127 or 126 and a message on its stderr, as in a shell.
#define _GNU_SOURCE
#include "jobrun_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
    SOCKET_FD = 3,
    MAX_PAYLOAD = JOBRUN_EXEC_MAX_PAYLOAD,
    CHANNEL_PAYLOAD = JOBRUN_EXEC_CHANNEL_PAYLOAD,
    // How many keepers can have a channel (more run one job each and end).
    SLOTS = 4096,
};

// A job's id as it travels with a signal, beside the signal's number (see `serve`).
// (The value is a pointer: on a 32-bit system both ends keep 24 bits of the id.)
#define ID_MASK ((uint64_t)(UINTPTR_MAX >> 8))

static int signals_fd = -1;
static pid_t server;

// The keepers. `id` and `deadline` are those of the job this process last knew the keeper
// to run: the one it was forked for, or one jobrun handed it with a deadline (DEADLINE).
static struct keeper {
    pid_t pid;
    uint64_t id;
    uint64_t deadline;  // 0: none
    bool expired;       // told its deadline came
    int slot;           // its number, which jobrun knows it by, or -1: no channel (one job)
} *keepers;
static size_t keeper_count, keeper_capacity;
// Keepers' numbers are never given twice, so that nothing jobrun says of one that has ended
// (it may not have read of its end yet) can reach another.
static int next_number;
static size_t with_channel;  // how many keepers have a channel

static int read_full(int fd, void *buffer, size_t size) {
    char *p = buffer;
    while (size > 0) {
        ssize_t n = read(fd, p, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        p += n;
        size -= (size_t)n;
    }
    return 0;
}

static void send_reply(uint64_t id, int32_t kind, int32_t value) {
    struct jobrun_exec_reply r = {id, kind, value};
    const char *p = (const char *)&r;
    size_t left = sizeof r;
    while (left > 0) {
        ssize_t n = send(SOCKET_FD, p, left, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // jobrun is gone; the end of the socket says so next
        p += n;
        left -= (size_t)n;
    }
}

static void close_from(unsigned first) {
    if (syscall(SYS_close_range, first, ~0U, 0) == 0) return;
    for (unsigned fd = first; fd < 4096; fd++) close((int)fd);
}

// Kills and reaps every child of this process: descendants reparented here because their
// parent exited (and the job, when it still runs).
static void end_leftovers(void) {
    if (waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD) return;  // none: the usual case
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
    // Bounded (about 10 s), should /proc not list children: the job's end is still reported.
    for (int round = 0; round < 10000; round++) {
        FILE *file = fopen(path, "r");
        if (file != NULL) {
            long pid;
            while (fscanf(file, "%ld", &pid) == 1) kill((pid_t)pid, SIGKILL);
            fclose(file);
        }
        pid_t got = waitpid(-1, NULL, WNOHANG);
        if (got < 0 && errno == ECHILD) return;
        if (got < 0 && errno != EINTR) return;
        // Children left, none gone yet: they are dying, or one was just reparented here.
        if (got == 0) usleep(1000);
    }
}

static uint64_t boottime(void) {
    struct timespec now;
    clock_gettime(CLOCK_BOOTTIME, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

// Writes `parts` to `fd` with write(2) alone: safe in a vfork child, which borrows the
// keeper's memory and must not touch stdio or malloc.
static void say(int fd, const char *const parts[], int count) {
    for (int i = 0; i < count; i++) {
        if (write(fd, parts[i], strlen(parts[i])) < 0) return;
    }
}

// In a job's process before its exec: its working directory, or the end of the process with
// 126 and a message on its stderr (fd 2 by then), as a shell would.
static void enter(const char *workdir) {
    if (workdir[0] == '\0' || chdir(workdir) == 0) return;
    const char *parts[] = {"jobrun: cannot enter the working directory ", workdir, ": ", strerror(errno), "\n"};
    say(2, parts, 5);
    _exit(126);
}

// Runs one job to its end and tells jobrun how it ended (see the top of the file), its
// descriptors closed. Returns then; never returns when the server died.
static void keep(uint64_t id, uint64_t start, const char *program, const char *workdir, char **argv, char **envp,
                 const int fds[3]) {
    bool expired = false;
    int32_t kind = JOBRUN_EXEC_ENDED, status = 0;
    // What `sigwaitinfo` below waits for (blocked since the keeper began; see `keeper`).
    sigset_t wanted;
    sigemptyset(&wanted);
    sigaddset(&wanted, SIGCHLD);
    sigaddset(&wanted, SIGUSR1);
    sigaddset(&wanted, SIGRTMIN);
    pid_t job;
    int error = 0;
    if (start != 0) {
        // Due at `start`: the job's process is made now and waits, set up, to exec on the
        // instant, so that only the exec itself comes after it.
        pid_t keeper = getpid();
        job = fork();
        if (job == 0) {
            // Until the exec it dies with the keeper, however the keeper ends.
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != keeper) _exit(137);
            close(SOCKET_FD);
            setpgid(0, 0);
            for (int i = 0; i < 3; i++) dup2(fds[i], i);
            enter(workdir);
            prctl(PR_SET_TIMERSLACK, 1);
            struct timespec at = {(time_t)(start / 1000000000u), (long)(start % 1000000000u)};
            while (clock_nanosleep(CLOCK_BOOTTIME, TIMER_ABSTIME, &at, NULL) == EINTR) {}
            prctl(PR_SET_PDEATHSIG, 0);
            prctl(PR_SET_TIMERSLACK, 0);  // the job gets the usual slack
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, NULL);
            execve(program, argv, envp);
            int failure = errno;
            dprintf(2, "jobrun: cannot run %s: %s\n", program, strerror(failure));
            _exit(failure == ENOENT ? 127 : 126);
        }
        if (job < 0) {
            kind = JOBRUN_EXEC_NOT_STARTED;
            status = errno;
            goto told;
        }
        setpgid(job, job);
        // The keeper does not wake on the instant (it would compete with the exec for a CPU):
        // a signal from jobrun before then cancels the job, one after is for the job.
    } else {
        // vfork, not posix_spawn: glibc's posix_spawn blocks every signal and then resets all
        // 62 dispositions in the child (about 120 system calls a job, measured); here they
        // are all default already (see main) and the keeper has one thread, so the child
        // needs only its group, its three descriptors, its working directory and an empty
        // mask. It borrows the keeper's memory until it execs, and touches none of it: a
        // failed chdir or exec is said on the job's stderr with write(2) and ends it 126 or
        // 127, as the job's own exit (so also where vfork is a fork, as under
        // ThreadSanitizer). The keeper's own working directory never changes: it keeps the
        // next jobs.
        sigset_t none;
        sigemptyset(&none);
        job = vfork();
        if (job == 0) {
            setpgid(0, 0);
            for (int i = 0; i < 3; i++) {
                // dup2 onto itself would leave close-on-exec set: clear it instead.
                if (fds[i] == i) fcntl(i, F_SETFD, 0); else dup2(fds[i], i);
            }
            enter(workdir);
            sigprocmask(SIG_SETMASK, &none, NULL);
            execve(program, argv, envp);
            int failure = errno;
            const char *parts[] = {"jobrun: cannot run ", program, ": ", strerror(failure), "\n"};
            say(2, parts, 5);
            _exit(failure == ENOENT ? 127 : 126);
        }
        if (job < 0) error = errno;
        else setpgid(job, job);  // already so where vfork waits for the exec; where not, before any signal
    }
    if (error != 0) {
        dprintf(fds[2], "jobrun: cannot run %s: %s\n", program, strerror(error));
        status = (error == ENOENT ? 127 : 126) << 8;
        goto told;
    }
    // The keeper keeps its copies of the job's descriptors until its reply: the ends of the
    // job's pipes and the reply then reach jobrun together, most often in one wake-up.

    for (;;) {
        siginfo_t info;
        int signal = sigwaitinfo(&wanted, &info);
        if (signal < 0) continue;
        if (signal == SIGUSR1) {
            if (getppid() == server) continue;  // not the parent-death signal
            kill(-job, SIGKILL);
            end_leftovers();
            _exit(137);
        }
        if (signal == SIGRTMIN) {
            // From the server: the job's id and the signal (see `serve`). One for an earlier
            // job of this keeper, sent as that job ended, is not for this one.
            uint64_t value = (uint64_t)(uintptr_t)info.si_value.sival_ptr;
            if (info.si_pid != server || value >> 8 != (id & ID_MASK)) continue;
            int sent = (int)(value & 0xff);
            if (sent == 0) {  // the job's deadline came (jobrun never asks for signal 0)
                expired = true;
                sent = SIGKILL;
            }
            if (start != 0 && boottime() < start) {
                kill(-job, SIGKILL);
                while (waitpid(job, NULL, 0) < 0 && errno == EINTR) {}
                end_leftovers();
                if (expired) status = SIGKILL, kind = JOBRUN_EXEC_EXPIRED;
                else status = ECANCELED, kind = JOBRUN_EXEC_NOT_STARTED;
                goto told;
            }
            kill(-job, sent);
            continue;
        }
        // SIGCHLD. Signals of one kind merge, so one that names another child (a descendant
        // that ended, or the last job) may stand for the job's end too: then the job is asked.
        if (info.si_pid == job && (info.si_code == CLD_EXITED || info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED)) break;
        siginfo_t ended;
        memset(&ended, 0, sizeof ended);
        if (waitid(P_PID, (id_t)job, &ended, WEXITED | WNOHANG | WNOWAIT) == 0 && ended.si_pid == job) break;
    }
    // What the job left in its group (its unreaped main process still holds the group's
    // id), then what left the group.
    kill(-job, SIGKILL);
    while (waitpid(job, &status, 0) < 0 && errno == EINTR) {}
    end_leftovers();
    if (expired) kind = JOBRUN_EXEC_EXPIRED;
told:
    for (int i = 0; i < 3; i++) close(fds[i]);
    // The keeper tells jobrun itself, one step sooner than through the server. jobrun may
    // hand it the next job as soon as it reads this.
    send_reply(id, kind, status);
}

// Splits a START request's payload (`length` bytes, NUL-terminated one further) into
// PROGRAM WORKDIR ARGV... NULL ENV... NULL. NULL and errno when it does not hold them.
static char **start_vector(const struct jobrun_exec_request *header, char *payload) {
    size_t strings = 2 + (size_t)header->a + (size_t)header->b, found = 0;
    for (uint32_t i = 0; i < header->length; i++) found += payload[i] == '\0';
    if (header->a == 0 || found != strings || header->length == 0 || payload[header->length - 1] != '\0') {
        errno = EINVAL;
        return NULL;
    }
    char **vector = malloc((strings + 2) * sizeof(char *));
    if (vector == NULL) return NULL;
    char *p = payload;
    size_t slot = 0;
    for (size_t i = 0; i < strings; i++) {
        vector[slot++] = p;
        p += strlen(p) + 1;
        if (i == 1 + header->a) vector[slot++] = NULL;
    }
    vector[slot] = NULL;
    return vector;
}

// Takes the descriptors that came with a received message into `fds`, up to `capacity` (the
// rest are closed); `*count` says how many.
static void take_fds(struct msghdr *message, int *fds, int capacity, int *count) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR(message); c != NULL; c = CMSG_NXTHDR(message, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        size_t received = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        int *data = (int *)CMSG_DATA(c);
        for (size_t i = 0; i < received; i++) {
            if (*count < capacity) fds[(*count)++] = data[i];
            else close(data[i]);
        }
    }
}

// Sends `iov` in one sendmsg, with `count` (at most 3) descriptors on its first byte. Returns
// what sendmsg does.
static ssize_t send_with(int fd, struct iovec *iov, int iov_count, const int *fds, int count, int flags) {
    char control[CMSG_SPACE(3 * sizeof(int))];
    memset(control, 0, sizeof control);
    struct msghdr message;
    memset(&message, 0, sizeof message);
    message.msg_iov = iov;
    message.msg_iovlen = (size_t)iov_count;
    if (count > 0) {
        message.msg_control = control;
        message.msg_controllen = CMSG_SPACE((size_t)count * sizeof(int));
        struct cmsghdr *c = CMSG_FIRSTHDR(&message);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN((size_t)count * sizeof(int));
        memcpy(CMSG_DATA(c), fds, (size_t)count * sizeof(int));
    }
    ssize_t n;
    do n = sendmsg(fd, &message, flags | MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n;
}

// Receives a request on `fd` as one message: the header, up to `capacity` bytes of payload
// into `payload`, and its descriptors. Returns the message's length, 0 at the end, or -1.
static ssize_t receive_message(int fd, struct jobrun_exec_request *header, char *payload, size_t capacity,
                               int fds[3], int *fd_count) {
    char control[CMSG_SPACE(3 * sizeof(int))];
    struct iovec iov[2] = {{header, sizeof *header}, {payload, capacity}};
    struct msghdr message;
    memset(&message, 0, sizeof message);
    message.msg_iov = iov;
    message.msg_iovlen = payload != NULL ? 2 : 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    ssize_t n;
    do n = recvmsg(fd, &message, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    *fd_count = 0;
    if (n > 0) take_fds(&message, fds, 3, fd_count);
    return n;
}

// A keeper: runs the job it was forked for, then, when it has a channel (a number), waits on
// it for the next job jobrun hands it and runs that one. Ends when jobrun or the server does:
// the end of the channel (jobrun holds its other end), or the parent-death signal, which it
// watches also while it waits: it holds the server's end of jobrun's socket (for its replies),
// whose end is how jobrun learns that the server has gone. Never returns.
static _Noreturn void keeper(int channel, int slot, struct jobrun_exec_request header, char **vector, int fds[3]) {
    // Blocked: what `keep` waits for, and what a stray `kill` or `pkill` sends (only SIGKILL
    // ends a keeper, and the server then ends its job). The job starts with none blocked.
    sigset_t blocked;
    sigemptyset(&blocked);
    int kept[] = {SIGCHLD, SIGUSR1, SIGRTMIN, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR2, SIGALRM, SIGPIPE};
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) sigaddset(&blocked, kept[i]);
    sigprocmask(SIG_SETMASK, &blocked, NULL);
    prctl(PR_SET_PDEATHSIG, SIGUSR1);
    if (getppid() != server) _exit(137);  // the server died before the line above
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    close(signals_fd);
    // What it needs to wait, made before its first job. A keeper with a number that ends for
    // any reason but the end of its channel exits with a status that is not 0, so that the
    // server says so (KEEPER_LOST) and jobrun ends what it may have handed it meanwhile.
    char *payload = NULL;
    int deaths = -1;  // a signalfd of SIGUSR1, read while it waits
    if (slot >= 0) {
        sigset_t death;
        sigemptyset(&death);
        sigaddset(&death, SIGUSR1);
        payload = malloc(CHANNEL_PAYLOAD + 1);
        deaths = signalfd(-1, &death, SFD_CLOEXEC | SFD_NONBLOCK);
    }
    for (;;) {
        if (vector != NULL) keep(header.id, header.start, vector[0], vector[1], vector + 2, vector + 3 + header.a, fds);
        free(vector);
        vector = NULL;
        if (slot < 0) _exit(0);
        if (payload == NULL || deaths < 0) _exit(1);  // cannot wait safely
        // Waiting: signals stay blocked and queued but SIGUSR1, which is read here.
        struct pollfd watched[2] = {{deaths, POLLIN, 0}, {channel, POLLIN, 0}};
        if (poll(watched, 2, -1) < 0 && errno != EINTR) _exit(1);
        if (watched[0].revents != 0) {
            struct signalfd_siginfo info;
            while (read(deaths, &info, sizeof info) > 0) {}
            if (getppid() != server) _exit(137);  // the parent-death signal: nothing to end
            continue;                             // a stray one
        }
        if (watched[1].revents == 0) continue;
        int fd_count;
        ssize_t n = receive_message(channel, &header, payload, CHANNEL_PAYLOAD, fds, &fd_count);
        if (n == 0) _exit(0);  // jobrun closed the channel
        if (n < 0) _exit(1);
        if ((size_t)n < sizeof header || header.kind != JOBRUN_EXEC_START) {
            for (int i = 0; i < fd_count; i++) close(fds[i]);
            continue;  // not a request jobrun sends
        }
        if (fd_count == 3 && (size_t)n == sizeof header + header.length) {
            payload[header.length] = '\0';
            vector = start_vector(&header, payload);
        } else {
            errno = EINVAL;
        }
        if (vector == NULL) {
            send_reply(header.id, JOBRUN_EXEC_NOT_STARTED, errno);
            for (int i = 0; i < fd_count; i++) close(fds[i]);
        }
    }
}

// Sends a reply whole with a descriptor (SCM_RIGHTS on its first byte).
static void send_reply_with(uint64_t id, int32_t kind, int32_t value, int fd) {
    struct jobrun_exec_reply r = {id, kind, value};
    struct iovec iov = {&r, sizeof r};
    ssize_t n = send_with(SOCKET_FD, &iov, 1, &fd, 1, 0);
    if (n <= 0 || (size_t)n == sizeof r) return;  // sent, or jobrun is gone
    const char *p = (const char *)&r + n;
    size_t left = sizeof r - (size_t)n;
    while (left > 0) {
        ssize_t m = send(SOCKET_FD, p, left, MSG_NOSIGNAL);
        if (m < 0 && errno == EINTR) continue;
        if (m <= 0) return;
        p += m;
        left -= (size_t)m;
    }
}

// Forks a keeper for a checked START request (see `keeper`). When a slot is free the keeper
// gets a channel, whose other end goes to jobrun first (KEEPER), so that jobrun knows the
// keeper before anything it says. Returns its pid, or -1 and errno.
static pid_t fork_keeper(const struct jobrun_exec_request *header, char **vector, int fds[3]) {
    if (keeper_count == keeper_capacity) {
        size_t capacity = keeper_capacity ? keeper_capacity * 2 : 64;
        struct keeper *grown = realloc(keepers, capacity * sizeof *grown);
        if (grown == NULL) return errno = ENOMEM, -1;
        keepers = grown;
        keeper_capacity = capacity;
    }
    int slot = -1, pair[2] = {-1, -1};
    if (with_channel < SLOTS && next_number < INT32_MAX && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) == 0) {
        slot = next_number++;
        send_reply_with(header->id, JOBRUN_EXEC_KEEPER, slot, pair[0]);
        close(pair[0]);
    }
    pid_t pid = fork();
    if (pid == 0) keeper(pair[1], slot, *header, vector, fds);
    int error = errno;
    if (pair[1] >= 0) close(pair[1]);  // a keeper that could not be forked: jobrun finds its channel closed
    if (pid < 0) return errno = error, -1;
    if (slot >= 0) with_channel++;
    keepers[keeper_count++] = (struct keeper){pid, header->id, header->deadline, false, slot};
    return pid;
}

// The keeper numbered `slot`, or the one this process knows to run job `id` (slot -1).
static struct keeper *keeper_of(int slot, uint64_t id) {
    for (size_t i = 0; i < keeper_count; i++) {
        if (slot >= 0 ? keepers[i].slot == slot : keepers[i].id == id) return &keepers[i];
    }
    return NULL;
}

// Serves one request. -1: jobrun is gone.
static int serve(void) {
    struct jobrun_exec_request header;
    int fds[3], fd_count = 0;
    ssize_t n = receive_message(SOCKET_FD, &header, NULL, 0, fds, &fd_count);
    if (n <= 0) return -1;
    if ((size_t)n < sizeof header && read_full(SOCKET_FD, (char *)&header + n, sizeof header - (size_t)n) != 0) return -1;
    if (header.length > MAX_PAYLOAD) return -1;  // not jobrun speaking
    char *payload = malloc((size_t)header.length + 1);
    if (payload == NULL || read_full(SOCKET_FD, payload, header.length) != 0) {
        free(payload);
        for (int i = 0; i < fd_count; i++) close(fds[i]);
        return -1;  // jobrun is gone, or the stream cannot be followed any more
    }
    payload[header.length] = '\0';

    if (header.kind == JOBRUN_EXEC_LEASE) {
        for (size_t i = 0; i < keeper_count; i++) {
            if (keepers[i].deadline != 0 && keepers[i].deadline < header.deadline) keepers[i].deadline = header.deadline;
        }
    } else if (header.kind == JOBRUN_EXEC_DEADLINE && header.b != 0) {
        struct keeper *k = keeper_of((int)header.b - 1, 0);
        if (k != NULL) *k = (struct keeper){k->pid, header.id, header.deadline, false, k->slot};
    } else if (header.kind == JOBRUN_EXEC_SIGNAL && header.a != 0) {
        struct keeper *k = keeper_of((int)header.b - 1, header.id);
        // The keeper checks the id: it may have ended this job and begun another.
        union sigval value = {.sival_ptr = (void *)(uintptr_t)((header.id & ID_MASK) << 8 | (header.a & 0xff))};
        if (k != NULL) sigqueue(k->pid, SIGRTMIN, value);
    } else if (header.kind == JOBRUN_EXEC_START) {
        // PROGRAM, WORKDIR, the arguments, the environment: each ends with a NUL.
        char **vector = fd_count == 3 ? start_vector(&header, payload) : (errno = EINVAL, NULL);
        if (vector == NULL || fork_keeper(&header, vector, fds) < 0) send_reply(header.id, JOBRUN_EXEC_NOT_STARTED, errno);
        free(vector);
    }
    free(payload);
    for (int i = 0; i < fd_count; i++) close(fds[i]);
    return 0;
}

// Kills every child of this process that is not a keeper: what a killed keeper left, which
// was reparented here (this process is a child subreaper). They are reaped as they end.
static void end_orphans(void) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
    FILE *file = fopen(path, "r");
    if (file == NULL) return;
    long pid;
    while (fscanf(file, "%ld", &pid) == 1) {
        bool keeper = false;
        for (size_t i = 0; i < keeper_count && !keeper; i++) keeper = keepers[i].pid == (pid_t)pid;
        if (!keeper) kill((pid_t)pid, SIGKILL);
    }
    fclose(file);
}

// Reaps the keepers that ended. A keeper tells jobrun how its job ended and exits with 0;
// one that ended otherwise (killed) could not, and this tells jobrun how the keeper ended.
static void reap(void) {
    // One read: SIGCHLDs merge, so there is rarely more than one, and any left makes the
    // descriptor readable again.
    struct signalfd_siginfo info[8];
    ssize_t ignored = read(signals_fd, info, sizeof info);
    (void)ignored;
    for (;;) {
        int status = 0;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0) return;
        bool keeper = false;
        for (size_t i = 0; i < keeper_count; i++) {
            struct keeper *k = &keepers[i];
            if (k->pid != pid) continue;
            keeper = true;
            if (status != 0) {
                // Killed: its job and what it started were reparented here; they go too.
                // jobrun knows which job a keeper with a channel had (and whether it has been
                // told of its end): that one is told by the keeper's number.
                if (k->slot >= 0) send_reply((uint64_t)k->slot, JOBRUN_EXEC_KEEPER_LOST, status);
                else send_reply(k->id, JOBRUN_EXEC_LOST, status);
                end_orphans();
            }
            if (k->slot >= 0) with_channel--;
            keepers[i] = keepers[--keeper_count];
            break;
        }
        // An orphan ended: what it started has been reparented here in turn.
        if (!keeper) end_orphans();
    }
}

// Tells every keeper whose job's deadline has come to kill it. Returns the nearest deadline
// still ahead, or 0.
static uint64_t expire_due(void) {
    uint64_t now = boottime(), next = 0;
    for (size_t i = 0; i < keeper_count; i++) {
        struct keeper *k = &keepers[i];
        if (k->deadline == 0 || k->expired) continue;
        if (k->deadline <= now) {
            union sigval value = {.sival_ptr = (void *)(uintptr_t)((k->id & ID_MASK) << 8)};
            sigqueue(k->pid, SIGRTMIN, value);
            k->expired = true;
        } else if (next == 0 || k->deadline < next) {
            next = k->deadline;
        }
    }
    return next;
}

int jobrun_exec_main(int argc, char **argv) {
    struct stat socket_stat;
    if (argc != 2 || strcmp(argv[1], "--serve") != 0 || fstat(SOCKET_FD, &socket_stat) != 0 ||
        !S_ISSOCK(socket_stat.st_mode)) {
        fputs("jobrun-exec starts jobs for jobrun, which runs it itself; it is not meant to be run by hand\n", stderr);
        return 2;
    }
    server = getpid();
    setsid();
    prctl(PR_SET_CHILD_SUBREAPER, 1);  // what a killed keeper leaves comes here (see end_orphans)
    // Nothing of jobrun's reaches the keepers or the jobs but what each request gives: no
    // other descriptor, and no ignored signal (jobrun ignores SIGPIPE). Every job starts with
    // default dispositions.
    close_from(SOCKET_FD + 1);
    fcntl(SOCKET_FD, F_SETFD, FD_CLOEXEC);  // the keepers keep it; the jobs must not get it
    sigset_t all, child;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    for (int signal = 1; signal < NSIG; signal++) {
        if (signal != SIGKILL && signal != SIGSTOP) sigaction(signal, &(struct sigaction){.sa_handler = SIG_DFL}, NULL);
    }
    sigemptyset(&child);
    sigaddset(&child, SIGCHLD);
    signals_fd = signalfd(-1, &child, SFD_CLOEXEC | SFD_NONBLOCK);
    if (signals_fd < 0) {
        fprintf(stderr, "jobrun-exec: signalfd: %s\n", strerror(errno));
        return 1;
    }
    send_reply(0, JOBRUN_EXEC_HELLO, JOBRUN_EXEC_PROTOCOL);
    for (;;) {
        uint64_t next = expire_due();
        int timeout = -1;
        if (next != 0) {
            uint64_t now = boottime();
            uint64_t left = next > now ? (next - now + 999999) / 1000000 : 0;  // ms, rounded up: never early
            timeout = left > 60000 ? 60000 : (int)left;
        }
        struct pollfd watched[2] = {{SOCKET_FD, POLLIN, 0}, {signals_fd, POLLIN, 0}};
        if (poll(watched, 2, timeout) < 0) {
            if (errno == EINTR) continue;
            return 1;
        }
        if (watched[1].revents != 0) reap();
        if (watched[0].revents != 0 && serve() != 0) break;
    }
    // jobrun closed the socket or died: as this process ends, every keeper gets its
    // parent-death signal and ends its job.
    return 0;
}

long jobrun_receive(int fd, void *buffer, unsigned long size, int *fds, int capacity, int *count) {
    char control[CMSG_SPACE(8 * sizeof(int))];
    struct iovec iov = {buffer, size};
    struct msghdr message;
    memset(&message, 0, sizeof message);
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    ssize_t n;
    do n = recvmsg(fd, &message, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    *count = 0;
    if (n > 0) take_fds(&message, fds, capacity, count);
    return n;
}

int jobrun_send_packet(int fd, const void *head, unsigned long head_size, const void *body, unsigned long body_size,
                       const int *fds, int count) {
    if (count < 0 || count > 3) return EINVAL;
    struct iovec iov[2] = {{(void *)head, head_size}, {(void *)body, body_size}};
    ssize_t n = send_with(fd, iov, body_size > 0 ? 2 : 1, fds, count, MSG_DONTWAIT);
    if (n < 0) return errno;
    return (size_t)n == head_size + body_size ? 0 : EMSGSIZE;
}

int jobrun_exec_pipe(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

int jobrun_epoll_create(void) {
    return epoll_create1(EPOLL_CLOEXEC);
}

int jobrun_epoll_remove(int epoll, int fd) {
    return epoll_ctl(epoll, EPOLL_CTL_DEL, fd, NULL);
}

int jobrun_epoll_add(int epoll, int fd) {
    struct epoll_event event;
    memset(&event, 0, sizeof event);
    event.events = EPOLLIN;
    event.data.fd = fd;
    return epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event);
}

int jobrun_epoll_wait(int epoll, int *ready, int capacity) {
    struct epoll_event events[64];
    if (capacity > 64) capacity = 64;
    int n = epoll_wait(epoll, events, capacity, -1);
    for (int i = 0; i < n; i++) ready[i] = events[i].data.fd;
    return n;
}

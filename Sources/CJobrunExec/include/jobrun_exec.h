#ifndef JOBRUN_EXEC_H
#define JOBRUN_EXEC_H

#include <stdint.h>

/// The protocol version of `jobrun-exec --serve`, which jobrun checks in its greeting.
#define JOBRUN_EXEC_PROTOCOL 5

/// Request kinds, from jobrun to jobrun-exec.
#define JOBRUN_EXEC_START 1
#define JOBRUN_EXEC_SIGNAL 2
#define JOBRUN_EXEC_LEASE 3
#define JOBRUN_EXEC_DEADLINE 4

/// Reply kinds, from jobrun-exec to jobrun.
#define JOBRUN_EXEC_ENDED 0
#define JOBRUN_EXEC_NOT_STARTED 1
#define JOBRUN_EXEC_HELLO 2
#define JOBRUN_EXEC_LOST 3
#define JOBRUN_EXEC_EXPIRED 4
#define JOBRUN_EXEC_KEEPER 5
#define JOBRUN_EXEC_KEEPER_LOST 6

/// The longest payload a request may carry.
#define JOBRUN_EXEC_MAX_PAYLOAD (256 << 20)

/// The longest payload of a START handed to a keeper on its channel (longer ones go to the
/// server, which forks a keeper for them).
#define JOBRUN_EXEC_CHANNEL_PAYLOAD (64 << 10)

/// A request's header, from jobrun to jobrun-exec (native byte order), followed by `length`
/// bytes of payload. START: a = argc, b = environment entries, `start` the CLOCK_BOOTTIME
/// instant (ns) to start at, or 0 for now, `deadline` the CLOCK_BOOTTIME instant (ns) the job
/// is killed at unless a LEASE moves it, or 0 for none. SIGNAL: a = the signal, b = the job's
/// keeper + 1 (0: the server looks for it by the id). LEASE: `deadline` for every job that has
/// one. DEADLINE: b = keeper + 1, `deadline` that of the job `id` handed to that keeper on its
/// channel. See jobrun_exec.c.
struct jobrun_exec_request {
    uint32_t kind;
    uint32_t a;
    uint32_t b;
    uint32_t length;
    uint64_t id;
    uint64_t start;
    uint64_t deadline;
};

/// A reply, from jobrun-exec (the server or a keeper) to jobrun, always written whole:
/// ENDED with a wait status, NOT_STARTED with an errno, HELLO with the protocol version,
/// LOST with the keeper's wait status, EXPIRED with the wait status of a job killed at its
/// deadline, KEEPER with the number of the keeper forked for job `id` (and its channel as
/// SCM_RIGHTS), KEEPER_LOST with `id` the number of a keeper that was killed, and its wait
/// status.
struct jobrun_exec_reply {
    uint64_t id;
    int32_t kind;
    int32_t value;
};

/// `jobrun-exec --serve`: starts jobs for jobrun over the socket on fd 3 until jobrun
/// closes it (or dies). Returns the exit status. See jobrun_exec.c for the protocol.
int jobrun_exec_main(int argc, char **argv);

/// Receives up to `size` bytes from the socket `fd` without waiting, and the descriptors that
/// came with them (close-on-exec) into `fds`, up to `capacity` (the rest are closed); `*count`
/// says how many. Returns the byte count (0 at the end), or -1 and errno.
long jobrun_receive(int fd, void *buffer, unsigned long size, int *fds, int capacity, int *count);

/// Sends `head` and `body` as one packet on the sequenced-packet socket `fd` with `count`
/// descriptors (SCM_RIGHTS), without waiting. Returns 0, or an errno (EMSGSIZE: too long).
int jobrun_send_packet(int fd, const void *head, unsigned long head_size, const void *body, unsigned long body_size,
                       const int *fds, int count);

/// pipe2(fds, O_CLOEXEC), which Swift's Glibc module leaves out.
int jobrun_exec_pipe(int fds[2]);

/// A new epoll set (close-on-exec), or -1 and errno.
int jobrun_epoll_create(void);

/// Removes `fd` from the epoll set `epoll`.
int jobrun_epoll_remove(int epoll, int fd);

/// Adds `fd` to the epoll set `epoll` for reading (level-triggered). Returns 0, or -1 and errno.
int jobrun_epoll_add(int epoll, int fd);

/// Waits for descriptors of `epoll` to be readable (or closed) and puts up to `capacity` of
/// them in `ready`. Returns how many, or -1 and errno.
int jobrun_epoll_wait(int epoll, int *ready, int capacity);

#endif

#ifndef JOBRUN_EXEC_H
#define JOBRUN_EXEC_H

/// The protocol version of `jobrun-exec --serve`, which jobrun checks in its greeting.
#define JOBRUN_EXEC_PROTOCOL 3

/// Request kinds, from jobrun to jobrun-exec.
#define JOBRUN_EXEC_START 1
#define JOBRUN_EXEC_SIGNAL 2

/// Reply kinds, from jobrun-exec to jobrun.
#define JOBRUN_EXEC_ENDED 0
#define JOBRUN_EXEC_NOT_STARTED 1
#define JOBRUN_EXEC_HELLO 2
#define JOBRUN_EXEC_LOST 3

/// `jobrun-exec --serve`: starts jobs for jobrun over the socket on fd 3 until jobrun
/// closes it (or dies). Returns the exit status. See jobrun_exec.c for the protocol.
int jobrun_exec_main(int argc, char **argv);

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

// jobrun-exec: starts one job for jobrun and ties the job's life to jobrun's.
//
//   jobrun-exec PARENT_PID PROGRAM ARGV0 [ARG...]
//
// jobrun starts this program as the leader of a new session (so of the job's process
// group) and it starts PROGRAM as its child in the same group, then:
//
// - If jobrun dies, even by SIGKILL, the kernel sends this process its parent-death
//   signal, and it kills the whole process group with SIGKILL. The kernel sends that signal
//   when the *thread* that started a process exits, and jobrun's threads come and go, so
//   the signal counts only when the parent really changed (getppid() is no longer
//   PARENT_PID).
// - It is a child subreaper: a descendant that daemonizes (double fork, setsid) is
//   reparented to it instead of to init, and when the job's main process ends, every such
//   leftover is killed and reaped. Processes still in the group are jobrun's to end.
// - It blocks every signal it can, so signals that jobrun or the job send to the group
//   reach the job and not this process, and it ends as the job ended: with its exit status,
//   or by the signal that killed it.
//
// Exit status 127 or 126 with a message on stderr when PROGRAM cannot be started.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static pid_t parent;

// The parent-death signal, also sent on every exit of a thread of jobrun that started us.
static void on_parent_death(int signal) {
    (void)signal;
    if (getppid() != parent) {
        kill(0, SIGKILL);
        _exit(137);
    }
}

// Kills and reaps every child of this process other than the job: descendants that were
// reparented here because their parent exited.
static void end_leftovers(void) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
    for (;;) {
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

int main(int argc, char **argv) {
    if (argc < 4) {
        fputs("usage: jobrun-exec PARENT_PID PROGRAM ARGV0 [ARG...]\n", stderr);
        return 2;
    }
    char *end = NULL;
    long expected = strtol(argv[1], &end, 10);
    if (end == argv[1] || *end != '\0' || expected <= 1) {
        fprintf(stderr, "jobrun-exec: bad parent pid \"%s\"\n", argv[1]);
        return 2;
    }
    parent = (pid_t)expected;

    // Every signal but the parent-death one stays pending while the job runs.
    sigset_t all, none;
    sigfillset(&all);
    sigdelset(&all, SIGUSR1);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &all, NULL);

    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_parent_death;
    sigfillset(&action.sa_mask);
    sigaction(SIGUSR1, &action, NULL);
    if (prctl(PR_SET_PDEATHSIG, SIGUSR1) != 0) {
        fprintf(stderr, "jobrun-exec: prctl(PR_SET_PDEATHSIG): %s\n", strerror(errno));
        return 126;
    }
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    // jobrun may have died before the parent-death signal was set.
    if (getppid() != parent) return 137;

    // The job: default dispositions (only SIGUSR1's was changed here) and an empty mask, as
    // jobrun gave them to us.
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGUSR1);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    pid_t job;
    int error = posix_spawn(&job, argv[2], NULL, &attributes, argv + 3, environ);
    posix_spawnattr_destroy(&attributes);
    if (error != 0) {
        fprintf(stderr, "jobrun: cannot run %s: %s\n", argv[2], strerror(error));
        return error == ENOENT ? 127 : 126;
    }

    int status = 0;
    for (;;) {
        pid_t got = waitpid(job, &status, 0);
        if (got == job) break;
        if (got < 0 && errno != EINTR) return 126;
    }
    end_leftovers();

    if (WIFEXITED(status)) return WEXITSTATUS(status);
    // End by the same signal, without a second core dump.
    int signal = WTERMSIG(status);
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    struct sigaction fallback;
    memset(&fallback, 0, sizeof fallback);
    fallback.sa_handler = SIG_DFL;
    sigaction(signal, &fallback, NULL);
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, signal);
    sigprocmask(SIG_UNBLOCK, &only, NULL);
    raise(signal);
    return 128 + signal;
}

/* Graph layouts out of process (see src/cmd/layout.c for why).  The DOT goes
 * to the child's stdin, the drawing comes back on its stdout, its one-line
 * error on stderr; the parent polls the three pipes and its budget, and
 * kills the child when the budget is spent. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hearth/budget.h"
#include "layout.h"

extern char **environ;

/* A drawing larger than this is refused (an SVG of a thousand nodes with
 * capped names is a few megabytes). */
#define MAX_OUT ((size_t)256 << 20)
#define MAX_ERR 512

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

hearth_err hearth_layout(const char *dot, size_t n, const char *format, hearth_buf *out,
			 hearth_errbuf *eb)
{
	int in[2] = {-1, -1}, o[2] = {-1, -1}, e[2] = {-1, -1};
	char errtext[MAX_ERR + 1];
	size_t errlen = 0, written = 0;
	pid_t pid = -1;
	hearth_err err = HEARTH_OK;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	bool fa_ok = false, at_ok = false;
	if (pipe2(in, O_CLOEXEC) || pipe2(o, O_CLOEXEC) || pipe2(e, O_CLOEXEC)) {
		err = hearth_seterr(eb, HEARTH_EIO, "layout: pipe: %s", strerror(errno));
		goto out;
	}
	fa_ok = !posix_spawn_file_actions_init(&fa);
	at_ok = !posix_spawnattr_init(&at);
	if (!fa_ok || !at_ok) {
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		goto out;
	}
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, o[1], 1);
	posix_spawn_file_actions_adddup2(&fa, e[1], 2);
	/* The server blocks SIGTERM and ignores SIGPIPE in every thread: the
	 * child gets neither. */
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	char *argv[] = {"hearth", "__layout", (char *)format, NULL};
	int rc = posix_spawn(&pid, "/proc/self/exe", &fa, &at, argv, environ);
	if (rc) {
		pid = -1;
		err =
		    hearth_seterr(eb, HEARTH_EIO, "layout: cannot start hearth: %s", strerror(rc));
		goto out;
	}
	close_fd(&in[0]);
	close_fd(&o[1]);
	close_fd(&e[1]);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	if (!n)
		close_fd(&in[1]);
	while (o[0] >= 0 || e[0] >= 0) {
		if ((err = hearth_budget_check(eb)))
			goto out;
		struct pollfd pf[3] = {{in[1], POLLOUT, 0}, {o[0], POLLIN, 0}, {e[0], POLLIN, 0}};
		if (poll(pf, 3, 50) < 0 && errno != EINTR) {
			err = hearth_seterr(eb, HEARTH_EIO, "layout: poll: %s", strerror(errno));
			goto out;
		}
		if (in[1] >= 0 && pf[0].revents) {
			ssize_t w = write(in[1], dot + written, n - written);
			if (w > 0)
				written += (size_t)w;
			if (w < 0 && errno != EAGAIN && errno != EINTR)
				close_fd(&in[1]); /* the child is gone: its stderr says why */
			if (written == n)
				close_fd(&in[1]);
		}
		char buf[65536];
		if (o[0] >= 0 && pf[1].revents) {
			ssize_t r = read(o[0], buf, sizeof(buf));
			if (r > 0) {
				if (out->len + (size_t)r > MAX_OUT) {
					err =
					    hearth_seterr(eb, HEARTH_ETOOBIG,
							  "layout: the drawing is larger than %zu "
							  "bytes",
							  MAX_OUT);
					goto out;
				}
				hearth_buf_put(out, buf, (size_t)r);
			} else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
				close_fd(&o[0]);
			}
		}
		if (e[0] >= 0 && pf[2].revents) {
			ssize_t r = read(e[0], buf, sizeof(buf));
			if (r > 0) {
				size_t k =
				    (size_t)r < MAX_ERR - errlen ? (size_t)r : MAX_ERR - errlen;
				memcpy(errtext + errlen, buf, k);
				errlen += k;
			} else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
				close_fd(&e[0]);
			}
		}
	}
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		errtext[errlen] = 0;
		char *nl = strchr(errtext, '\n');
		if (nl)
			*nl = 0;
		/* "hearth: " is the CLI's prefix. */
		const char *m = !strncmp(errtext, "hearth: ", 8) ? errtext + 8 : errtext;
		if (WIFSIGNALED(st))
			err = hearth_seterr(eb, HEARTH_ENOMEM,
					    "laying out the graph: killed by signal %d (out of "
					    "memory?)",
					    WTERMSIG(st));
		else
			err = hearth_seterr(eb, HEARTH_EINVAL, "%s",
					    *m ? m : "laying out the graph failed");
		goto out;
	}
	if (out->oom)
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	close_fd(&in[0]);
	close_fd(&in[1]);
	close_fd(&o[0]);
	close_fd(&o[1]);
	close_fd(&e[0]);
	close_fd(&e[1]);
	if (fa_ok)
		posix_spawn_file_actions_destroy(&fa);
	if (at_ok)
		posix_spawnattr_destroy(&at);
	return err;
}

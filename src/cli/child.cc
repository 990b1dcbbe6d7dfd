// Child danlu processes (cli/child.h).
#include "cli/child.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

extern char** environ;

namespace danlu {

ChildResult run_child(const char* self, const std::vector<std::string>& args, double limit_s, const std::string& input) {
  ChildResult r;
  int out_pipe[2], err_pipe[2], in_pipe[2];
  // Close-on-exec, so a child never inherits another request's pipe ends (a child holding a
  // sibling's stdin write end would keep that sibling waiting for end-of-input).
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return r;
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return r;
  }
  if (pipe2(in_pipe, O_CLOEXEC) != 0) {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) close(fd);
    return r;
  }
  // The parent writes without blocking, interleaved with reading, so a child that answers
  // before it has read everything cannot deadlock us; a child that exits early gives EPIPE.
  fcntl(in_pipe[1], F_SETFL, fcntl(in_pipe[1], F_GETFL) | O_NONBLOCK);
  if (!input.empty()) signal(SIGPIPE, SIG_IGN);  // a child that exits unread must not kill us
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  posix_spawn_file_actions_addclose(&fa, in_pipe[1]);
  posix_spawn_file_actions_addclose(&fa, out_pipe[0]);
  posix_spawn_file_actions_addclose(&fa, err_pipe[0]);
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);  // nor the server's sockets
  std::vector<std::string> all = {self};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, self, &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(out_pipe[1]);
  close(err_pipe[1]);
  close(in_pipe[0]);
  int in_fd = in_pipe[1];
  std::size_t written = 0;
  if (input.empty()) {
    close(in_fd);
    in_fd = -1;
  }
  if (rc != 0) {
    if (in_fd >= 0) close(in_fd);
    close(out_pipe[0]);
    close(err_pipe[0]);
    r.err = "cannot start danlu";
    return r;
  }
  const auto t0 = std::chrono::steady_clock::now();
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (limit_s > 0 && elapsed > limit_s) {
      kill(pid, SIGKILL);
      r.timed_out = true;
      break;
    }
    if (in_fd >= 0) {
      const ssize_t n = write(in_fd, input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      if ((n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) || written == input.size()) {
        close(in_fd);
        in_fd = -1;
      }
    }
    if (poll(fds, 2, in_fd >= 0 ? 5 : 100) < 0) {
      if (errno == EINTR) continue;
      kill(pid, SIGKILL);  // cannot watch it any more: do not wait for it unbounded
      break;
    }
    for (pollfd& p : fds) {
      if (p.fd < 0 || (p.revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const ssize_t n = read(p.fd, buf, sizeof buf);
      if (n > 0) {
        (p.fd == out_pipe[0] ? r.out : r.err).append(buf, static_cast<size_t>(n));
      } else {
        p.fd = -1;
        --open_fds;
      }
    }
  }
  if (in_fd >= 0) close(in_fd);
  close(out_pipe[0]);
  close(err_pipe[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!r.timed_out && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  return r;
}

}  // namespace danlu

#include "bench/kit/pg_server.hpp"

#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <vector>

namespace uw::kit {

namespace {

namespace fs = std::filesystem;

// Hands path (recursively) to uid/gid.
void chown_tree(const std::string& path, uid_t uid, gid_t gid) {
  if (::chown(path.c_str(), uid, gid) != 0) return;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(path, ec)) {
    (void)::lchown(e.path().c_str(), uid, gid);
  }
}

}  // namespace

uint16_t free_tcp_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

std::string PgServer::bin_dir() {
  std::error_code ec;
  std::vector<std::pair<int, std::string>> found;
  for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string bin = e.path().string() + "/bin";
    if (!fs::exists(bin + "/postgres") || !fs::exists(bin + "/initdb")) continue;
    found.emplace_back(std::atoi(e.path().filename().c_str()), bin);
  }
  if (found.empty()) return "";
  return std::max_element(found.begin(), found.end())->second;
}

PgServer::~PgServer() {
  stop();
  if (dir_ && as_nobody_) chown_tree(dir_->path(), 0, 0);  // ours again, so TempDir can remove it
}

bool PgServer::start(const Options& options) {
  error_.clear();
  options_ = options;
  if (running()) return true;
  if (bin_.empty()) {
    bin_ = bin_dir();
    if (bin_.empty()) {
      error_ =
          "PostgreSQL server binaries not found (/usr/lib/postgresql/<version>/bin/{initdb,postgres}); "
          "run .ci/install-deps, which installs Debian's postgresql package";
      return false;
    }
  }
  const std::vector<std::string> as_user = [&]() -> std::vector<std::string> {
    if (::geteuid() != 0) return {};
    // --pdeathsig keep: a change of user clears the parent-death signal; setpriv sets it again.
    return {"/usr/bin/setpriv",
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            "--pdeathsig",
            "keep",
            "--"};
  }();
  as_nobody_ = !as_user.empty();
  if (!dir_) {
    dir_ = std::make_unique<TempDir>();
    data_ = dir_->file("data");
    sockets_ = dir_->file("run");
    fs::create_directory(sockets_);
    if (as_nobody_) {
      const passwd* pw = ::getpwnam("nobody");
      if (!pw) {
        error_ = "running as root and there is no user 'nobody' to run postgres as";
        return false;
      }
      fs::permissions(dir_->path(), fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
      chown_tree(sockets_, pw->pw_uid, pw->pw_gid);
      uid_ = pw->pw_uid;
      gid_ = pw->pw_gid;
      fs::create_directory(data_);
      chown_tree(data_, uid_, gid_);
    }
    if (!copy_template()) {
      std::vector<std::string> argv = as_user;
      for (const char* a : {"initdb", "-D", "", "-U", "postgres", "-A", "trust", "-E", "UTF8",
                            "--locale=C.UTF-8", "--no-sync", "--no-instructions"}) {
        argv.emplace_back(a);
      }
      argv[as_user.size()] = bin_ + "/initdb";
      argv[as_user.size() + 2] = data_;
      const RunResult r = run(argv, std::chrono::seconds(120));
      if (r.status != 0) {
        error_ = "initdb failed (status " + std::to_string(r.status) + "): " + r.err.substr(0, 2000);
        return false;
      }
      save_template();
    }
  }
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (port_ == 0 || attempt > 0)
      port_ = free_tcp_port();  // postgres binds it right after; a collision is retried
    std::vector<std::string> argv = as_user;
    argv.push_back(bin_ + "/postgres");
    for (const std::string& a :
         {std::string("-D"), data_, std::string("-p"), std::to_string(port_), std::string("-c"),
          std::string("listen_addresses=127.0.0.1"), std::string("-c"), "unix_socket_directories=" + sockets_,
          std::string("-c"), std::string("fsync=") + (options_.fsync ? "on" : "off"), std::string("-c"),
          "max_connections=" + std::to_string(options_.max_connections), std::string("-c"),
          std::string("log_min_messages=warning")}) {
      argv.push_back(a);
    }
    if (!proc_.start(argv, dir_->file("postgres.log"), /*die_with_parent=*/true)) {
      error_ = "cannot start postgres: " + proc_.error();
      return false;
    }
    if (wait_ready(std::chrono::seconds(60))) return true;
    error_ = "postgres did not accept connections on 127.0.0.1:" + std::to_string(port_) + ": " +
             proc_.stderr_tail(2000);
    stop(std::chrono::seconds(10));
  }
  return false;
}

// initdb takes seconds and every test process (ctest runs each test on its
// own) would pay it: the first initdb'd folder is kept as a template under
// $TMPDIR (files only, nothing running) and later servers start from a copy.
std::string PgServer::template_path() const {
  const char* tmp = std::getenv("TMPDIR");
  const std::string version = fs::path(bin_).parent_path().filename().string();
  return std::string(tmp && *tmp ? tmp : "/tmp") + "/uwitter-pg-template-" + version + "-" +
         std::to_string(::geteuid());
}

bool PgServer::copy_template() {
  const std::string from = template_path();
  std::error_code ec;
  if (!fs::exists(from + "/PG_VERSION", ec)) return false;
  fs::remove_all(data_, ec);
  fs::copy(from, data_, fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
  if (ec) {
    fs::remove_all(data_, ec);
    fs::create_directory(data_);
    if (as_nobody_) chown_tree(data_, uid_, gid_);
    return false;
  }
  fs::permissions(data_, fs::perms::owner_all, ec);
  if (as_nobody_) chown_tree(data_, uid_, gid_);
  return true;
}

void PgServer::save_template() {
  const std::string to = template_path();
  const std::string partial = to + ".partial-" + std::to_string(::getpid());
  std::error_code ec;
  fs::copy(data_, partial, fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
  // rename() is atomic: a concurrent test process either sees a whole template or none.
  if (ec || ::rename(partial.c_str(), to.c_str()) != 0) fs::remove_all(partial, ec);
}

bool PgServer::wait_ready(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const std::string conninfo =
      "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=postgres connect_timeout=2";
  while (Clock::now() < deadline) {
    if (PQping(conninfo.c_str()) == PQPING_OK) return true;
    if (proc_.wait_exit(std::chrono::milliseconds(20)) != -1) return false;  // it exited
  }
  return false;
}

bool PgServer::stop(std::chrono::milliseconds timeout) {
  if (!proc_.running()) return true;
  proc_.signal(SIGINT);  // fast shutdown: roll back open transactions, checkpoint, exit
  if (proc_.wait_exit(timeout) != -1) return true;
  proc_.signal(SIGKILL);
  proc_.wait_exit(std::chrono::seconds(10));
  return false;
}

std::string PgServer::uri(const std::string& db) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + db;
}

std::optional<std::string> pg_query_value(const std::string& uri, const std::string& sql,
                                          std::string* error) {
  PGconn* c = PQconnectdb(uri.c_str());
  std::optional<std::string> out;
  std::string err;
  if (PQstatus(c) != CONNECTION_OK) {
    err = PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
      err = PQresultErrorMessage(r);
    } else if (PQntuples(r) > 0 && PQnfields(r) > 0) {
      out = std::string(PQgetvalue(r, 0, 0), static_cast<size_t>(PQgetlength(r, 0, 0)));
    } else {
      err = "no rows";
    }
    PQclear(r);
  }
  PQfinish(c);
  if (error) *error = err;
  return out;
}

std::string PgServer::exec(const std::string& db, const std::string& sql) {
  PGconn* c = PQconnectdb(uri(db).c_str());
  std::string err;
  if (PQstatus(c) != CONNECTION_OK) {
    err = PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, sql.c_str());
    const auto st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) err = PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(c);
  return err;
}

std::string PgServer::create_database(const std::string& name) {
  // Built with append, not "t" + to_string(): GCC 12 at -O3 reports a false
  // -Wrestrict on that operator+ (the Release build of the benchmarks).
  std::string db = name;
  if (db.empty()) db.append("t").append(std::to_string(++next_db_));
  if (auto e = exec("postgres", "CREATE DATABASE \"" + db + "\""); !e.empty()) {
    error_ = "CREATE DATABASE " + db + ": " + e;
    return "";
  }
  return uri(db);
}

}  // namespace uw::kit

// Implements http.h: an Asio io_context run by one thread, a Connection per socket reading one
// request at a time through Beast's parser, and a job queue for the worker threads.
#include "serve/http.h"

#include <sys/resource.h>

#include <utility>  // before Asio: Boost 1.74 with GCC 12 needs std::exchange declared

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <list>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "util/error.h"
#include "util/log.h"

namespace senti::serve {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {
// beast::iequals takes boost::string_view in Debian's Boost 1.74, not std::string_view.
bool iequals(std::string_view a, std::string_view b) {
  return beast::iequals(beast::string_view(a.data(), a.size()), beast::string_view(b.data(), b.size()));
}
std::chrono::milliseconds ms(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

// Raises the soft open-files limit to the hard one (as nginx does) and returns the soft limit.
size_t raise_open_files_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit want = rl;
    want.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &want) == 0) rl = want;
  }
  return rl.rlim_cur == RLIM_INFINITY ? size_t{1} << 20 : static_cast<size_t>(rl.rlim_cur);
}
using Parser = http::request_parser<http::string_body>;
using Message = http::response<http::string_body>;

void configure(Parser& p, const HttpLimits& limits) {
  p.header_limit(static_cast<std::uint32_t>(std::min<size_t>(limits.max_header_bytes, UINT32_MAX)));
  p.body_limit(limits.max_body);
}

// The request line and headers into req, and the checks Beast's parser leaves to us: header
// count, one Content-Length, a declared length over the limit. Returns 0, or the status to
// answer with `error` saying why.
int take_header(const Parser& p, const HttpLimits& limits, HttpRequest& req, std::string& error) {
  const auto& h = p.get();
  req.method = std::string(h.method_string());
  std::string_view target(h.target().data(), h.target().size());
  if (auto q = target.find('?'); q != std::string_view::npos) {
    req.query = std::string(target.substr(q + 1));
    target = target.substr(0, q);
  }
  req.path = std::string(target);
  size_t fields = 0, content_lengths = 0;
  for (const auto& f : h) {
    ++fields;
    if (f.name() == http::field::content_length) ++content_lengths;
    if (fields <= limits.max_header_fields) req.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  }
  if (fields > limits.max_header_fields) {
    error = "the request has " + std::to_string(fields) + " header fields; at most " +
            std::to_string(limits.max_header_fields);
    return 431;
  }
  if (content_lengths > 1) {
    error = "the request has more than one Content-Length header";
    return 400;
  }
  if (auto n = p.content_length(); n && *n > limits.max_body) {
    error = "the body is " + std::to_string(*n) + " bytes; the limit is " + std::to_string(limits.max_body) +
            " (--max-body)";
    return 413;
  }
  return 0;
}

// A parse failure as the status to answer (0: not an answerable failure: close quietly).
int parse_failure(beast::error_code ec, const HttpLimits& limits, std::string& error) {
  if (ec == http::error::header_limit) {
    error = "the request's headers are larger than " + std::to_string(limits.max_header_bytes) + " bytes";
    return 431;
  }
  if (ec == http::error::body_limit) {
    error = "the body is larger than the limit of " + std::to_string(limits.max_body) + " bytes (--max-body)";
    return 413;
  }
  if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
      ec == asio::error::operation_aborted)
    return 0;
  error = "malformed HTTP request: " + ec.message();
  return 400;
}

void to_message(HttpResponse& res, bool head, bool keep_alive, Message& m) {
  m.version(11);
  m.result(static_cast<unsigned>(res.status));
  m.set(http::field::server, "senti");
  if (!res.content_type.empty()) m.set(http::field::content_type, res.content_type);
  for (const auto& [k, v] : res.headers) m.insert(k, v);
  const size_t length = res.body.size();
  if (!head) m.body() = std::move(res.body);
  m.content_length(length);
  m.keep_alive(keep_alive);
}
}  // namespace

int parse_request(std::string_view bytes, const HttpLimits& limits, HttpRequest& req, std::string& error) {
  Parser p;
  configure(p, limits);
  req = HttpRequest{};
  bool header_taken = false;
  auto failed = [&](beast::error_code ec) {
    const int status = parse_failure(ec, limits, error);
    if (status) return status;
    error = "incomplete HTTP request";
    return 400;
  };
  for (;;) {
    beast::error_code ec;
    const size_t used = p.put(asio::buffer(bytes.data(), bytes.size()), ec);
    bytes.remove_prefix(used);
    if (ec && ec != http::error::need_more) return failed(ec);
    if (p.is_header_done() && !header_taken) {
      header_taken = true;
      if (int status = take_header(p, limits, req, error)) return status;
    }
    if (p.is_done()) break;
    if (ec == http::error::need_more || used == 0) {  // these bytes are all there is
      p.put_eof(ec);
      if (ec || !p.is_done()) return failed(ec ? ec : http::error::partial_message);
      break;
    }
  }
  req.body = p.get().body();
  return 0;
}

std::string serialize_response(HttpResponse res, bool head, bool keep_alive) {
  Message m;
  to_message(res, head, keep_alive, m);
  std::ostringstream out;
  out << m;
  return out.str();
}

std::string HttpRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return "";
}

class Connection;

// The io_context is a member, so every handler runs while the Impl is alive: handlers capture
// `this` (a shared_ptr captured in a pending handler would keep the Impl alive forever).
struct HttpServer::Impl {
  HttpLimits limits;
  HttpHandlers handlers;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> keep_running;
  asio::steady_timer accept_retry{io}, shutdown_deadline{io}, drain_check{io};

  // I/O thread only.
  std::list<std::weak_ptr<Connection>> connections;
  std::unordered_map<std::string, size_t> per_client;
  bool stopping = false;

  std::atomic<size_t> open{0}, refused{0}, timeouts{0};
  std::atomic<bool> stop_requested{false};

  // The worker pool's queue.
  std::mutex jobs_mutex;
  std::condition_variable jobs_cv;
  std::deque<std::function<void()>> jobs;
  bool jobs_closed = false;
  std::atomic<size_t> jobs_in_flight{0};

  void submit(std::function<void()> job) {
    ++jobs_in_flight;
    {
      std::lock_guard<std::mutex> lock(jobs_mutex);
      jobs.push_back(std::move(job));
    }
    jobs_cv.notify_one();
  }
  void worker_loop() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lock(jobs_mutex);
        jobs_cv.wait(lock, [&] { return jobs_closed || !jobs.empty(); });
        if (jobs.empty()) return;
        job = std::move(jobs.front());
        jobs.pop_front();
      }
      job();
      --jobs_in_flight;
    }
  }

  void accept();
  void refuse(tcp::socket socket, const std::string& why);
  void begin_shutdown();
  void check_drained();
};

// One client connection: reads a request, answers it, and waits for the next. All its methods
// run on the I/O thread except the handler itself, which may run on a worker.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(HttpServer::Impl& s, tcp::socket socket, std::string client)
      : s_(s), stream_(std::move(socket)), client_(std::move(client)), deadline_(s.io) {}

  void start(std::list<std::weak_ptr<Connection>>::iterator self) {
    self_ = self;
    arm(s_.limits.header_timeout_s);  // the first request's header deadline starts now
    read_header();
  }

  // Shutdown: a connection waiting for a request closes now; one being answered closes after it.
  void on_shutdown() {
    if (state_ == State::kIdle || state_ == State::kHeader || state_ == State::kClosing) close();
  }

 private:
  enum class State { kIdle, kHeader, kBody, kHandling, kWriting, kClosing, kClosed };

  // A deadline for what the connection waits for now. When it passes, the pending read or write
  // is cancelled (the socket stays open, so a 408 can still be sent) and `timed_out_` says why.
  void arm(double seconds) {
    timed_out_ = false;
    deadline_.expires_after(ms(seconds));
    std::weak_ptr<Connection> weak = shared_from_this();
    deadline_.async_wait([weak](beast::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->state_ == State::kClosed) return;
      self->timed_out_ = true;
      beast::error_code ignored;
      self->stream_.socket().cancel(ignored);
    });
  }
  bool timed_out(beast::error_code ec) const { return timed_out_ && ec == asio::error::operation_aborted; }

  // Waits for the first byte of the next request (keep-alive idle time), then reads its headers.
  void wait_request() {
    if (s_.stopping) return close();
    if (buffer_.size() > 0) {  // pipelined: the next request is already here
      arm(s_.limits.header_timeout_s);
      return read_header();
    }
    state_ = State::kIdle;
    arm(s_.limits.keep_alive_s);
    auto self = shared_from_this();
    stream_.async_read_some(buffer_.prepare(4096), [self](beast::error_code ec, size_t n) {
      if (ec) {
        if (self->timed_out(ec)) ++self->s_.timeouts;
        return self->close();
      }
      self->buffer_.commit(n);
      self->arm(self->s_.limits.header_timeout_s);
      self->read_header();
    });
  }

  void read_header() {
    state_ = State::kHeader;
    parser_.emplace();
    configure(*parser_, s_.limits);
    auto self = shared_from_this();
    http::async_read_header(stream_, buffer_, *parser_, [self](beast::error_code ec, size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    started_ = Clock::now();
    if (ec) return read_failed(ec, "headers");
    req_ = HttpRequest{};
    req_.client = client_;
    std::string error;
    if (int status = take_header(*parser_, s_.limits, req_, error)) return fail_request(status, error);
    if (parser_->is_done()) return dispatch();
    if (iequals(req_.header("Expect"), "100-continue")) {
      // curl waits for this before sending a body of more than 1 KB.
      state_ = State::kWriting;
      arm(s_.limits.write_timeout_s);
      auto self = shared_from_this();
      return asio::async_write(stream_, asio::buffer(kContinue, sizeof kContinue - 1),
                               [self](beast::error_code ec, size_t) {
                                 if (ec) return self->close();
                                 self->read_body();
                               });
    }
    read_body();
  }

  void read_body() {
    state_ = State::kBody;
    arm(s_.limits.body_timeout_s);
    auto self = shared_from_this();
    http::async_read(stream_, buffer_, *parser_, [self](beast::error_code ec, size_t) {
      if (ec) return self->read_failed(ec, "body");
      self->dispatch();
    });
  }

  void read_failed(beast::error_code ec, const char* what) {
    if (timed_out(ec)) {
      ++s_.timeouts;
      // Nothing of a request arrived: close quietly; otherwise say why.
      if (state_ == State::kHeader && buffer_.size() == 0 && !parser_->got_some()) return close();
      return fail_request(408, std::string("the request's ") + what + " did not arrive in time (" +
                                   (state_ == State::kBody ? "--body-timeout" : "--header-timeout") + ")");
    }
    std::string error;
    const int status = parse_failure(ec, s_.limits, error);
    if (status == 0 || !stream_.socket().is_open()) return close();
    fail_request(status, error);
  }

  // An answer the HTTP layer gives itself; the connection closes after it.
  void fail_request(int status, const std::string& message) {
    close_after_ = true;
    if (req_.method.empty() && parser_ && parser_->got_some()) req_.method = std::string(parser_->get().method_string());
    req_.client = client_;
    res_ = HttpResponse{};
    res_.status = status;
    s_.handlers.error(status, message, res_);
    write();
  }

  void dispatch() {
    req_.body = std::move(parser_->get().body());
    keep_alive_ = parser_->get().keep_alive();
    head_ = req_.method == "HEAD";
    res_ = HttpResponse{};
    if (s_.handlers.cheap(req_)) {
      run_handler();
      return write();
    }
    state_ = State::kHandling;
    auto self = shared_from_this();
    s_.submit([self] {
      self->run_handler();
      asio::post(self->stream_.get_executor(), [self] { self->write(); });
    });
  }

  void run_handler() {
    try {
      s_.handlers.handle(req_, res_);
    } catch (const std::exception& e) {
      res_ = HttpResponse{};
      s_.handlers.error(500, std::string("internal error: ") + e.what(), res_);
      res_.status = 500;
    }
  }

  void write() {
    if (state_ == State::kClosed) return;
    state_ = State::kWriting;
    const double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    if (s_.handlers.log) s_.handlers.log(req_, res_, seconds);
    out_.emplace();
    if (s_.stopping) close_after_ = true;
    to_message(res_, head_, keep_alive_ && !close_after_, *out_);
    auto& m = *out_;
    arm(s_.limits.write_timeout_s);
    auto self = shared_from_this();
    http::async_write(stream_, m, [self](beast::error_code ec, size_t) {
      if (ec) {
        if (self->timed_out(ec)) ++self->s_.timeouts;
        return self->close();
      }
      if (!self->out_->keep_alive()) return self->linger();
      self->out_.reset();
      self->wait_request();
    });
  }

  // Before closing after an answer: stop sending, and read (and drop) what the client is still
  // sending for a moment, so that the kernel does not reset the connection before the client
  // has read the answer (a 413 sent before the body arrived, say).
  void linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    if (!stream_.socket().is_open()) return close();
    state_ = State::kClosing;
    arm(1);
    discard();
  }
  void discard() {
    auto self = shared_from_this();
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(4096), [self](beast::error_code ec, size_t n) {
      self->drained_ += n;
      if (ec || self->drained_ > (1u << 20)) return self->close();
      self->discard();
    });
  }

 public:
  void close() {
    if (state_ == State::kClosed) return;
    state_ = State::kClosed;
    deadline_.cancel();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
    s_.connections.erase(self_);
    if (auto it = s_.per_client.find(client_); it != s_.per_client.end() && --it->second == 0) s_.per_client.erase(it);
    --s_.open;
    if (s_.stopping) s_.check_drained();
  }

 private:
  static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
  HttpServer::Impl& s_;
  beast::tcp_stream stream_;
  std::string client_;
  std::list<std::weak_ptr<Connection>>::iterator self_;
  beast::flat_buffer buffer_{s_.limits.max_header_bytes + 4096};
  std::optional<Parser> parser_;
  std::optional<Message> out_;
  HttpRequest req_;
  HttpResponse res_;
  State state_ = State::kIdle;
  asio::steady_timer deadline_;
  bool timed_out_ = false;
  bool keep_alive_ = true, close_after_ = false, head_ = false;
  Clock::time_point started_ = Clock::now();
  size_t drained_ = 0;
};

void HttpServer::Impl::accept() {
  Impl* self = this;
  acceptor.async_accept([self](beast::error_code ec, tcp::socket socket) {
    Impl& s = *self;
    if (s.stopping) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      // Out of file descriptors (or another transient failure): wait a little, then go on.
      log::warn("accept: " + ec.message());
      s.accept_retry.expires_after(std::chrono::milliseconds(50));
      s.accept_retry.async_wait([self](beast::error_code e) {
        if (!e) self->accept();
      });
      return;
    }
    beast::error_code addr_ec;
    auto endpoint = socket.remote_endpoint(addr_ec);
    std::string client = addr_ec ? "?" : endpoint.address().to_string();
    size_t& mine = s.per_client[client];
    if (s.open >= s.limits.max_connections) {
      if (mine == 0) s.per_client.erase(client);
      s.refuse(std::move(socket), "the server has " + std::to_string(s.limits.max_connections) +
                                      " connections open (--max-connections); retry shortly");
    } else if (mine >= s.limits.max_connections_per_client) {
      s.refuse(std::move(socket), "this client has " + std::to_string(mine) +
                                      " connections open (--max-connections-per-client); retry shortly");
    } else {
      socket.set_option(tcp::no_delay(true), addr_ec);
      ++mine;
      ++s.open;
      auto c = std::make_shared<Connection>(s, std::move(socket), client);
      s.connections.push_front(c);
      c->start(s.connections.begin());
    }
    s.accept();
  });
}

// Over a connection limit: a short 503 and close, without reading the request.
void HttpServer::Impl::refuse(tcp::socket socket, const std::string& why) {
  ++refused;
  HttpResponse res;
  handlers.error(503, why, res);
  auto text = std::make_shared<std::string>("HTTP/1.1 503 Service Unavailable\r\nServer: senti\r\nConnection: close\r\n"
                                            "Retry-After: 1\r\nContent-Type: " + res.content_type +
                                            "\r\nContent-Length: " + std::to_string(res.body.size()) + "\r\n\r\n" + res.body);
  auto sock = std::make_shared<tcp::socket>(std::move(socket));
  beast::error_code ignored;
  sock->non_blocking(true, ignored);
  sock->write_some(asio::buffer(*text), ignored);  // best effort: a socket's buffer takes it at once
  sock->shutdown(tcp::socket::shutdown_both, ignored);
  sock->close(ignored);
}

void HttpServer::Impl::begin_shutdown() {
  if (stopping) return;
  stopping = true;
  beast::error_code ignored;
  acceptor.close(ignored);
  accept_retry.cancel();
  std::vector<std::shared_ptr<Connection>> live;
  for (auto& w : connections)
    if (auto c = w.lock()) live.push_back(std::move(c));
  for (auto& c : live) c->on_shutdown();
  Impl* self = this;
  shutdown_deadline.expires_after(ms(limits.shutdown_timeout_s));
  shutdown_deadline.async_wait([self](beast::error_code ec) {
    if (ec) return;
    log::warn("shutdown: " + std::to_string(self->open.load()) + " connections still open after " +
              std::to_string(static_cast<int>(self->limits.shutdown_timeout_s)) + " s (--shutdown-timeout); closing them");
    self->io.stop();
  });
  check_drained();
}

void HttpServer::Impl::check_drained() {
  if (!stopping) return;
  if (connections.empty() && jobs_in_flight == 0) {
    shutdown_deadline.cancel();
    drain_check.cancel();
    keep_running.reset();
    return;
  }
  // A handler on a worker keeps the connection's last reference; look again shortly.
  Impl* self = this;
  drain_check.expires_after(std::chrono::milliseconds(20));
  drain_check.async_wait([self](beast::error_code ec) {
    if (!ec) self->check_drained();
  });
}

HttpServer::HttpServer(HttpLimits limits, HttpHandlers handlers) : impl_(std::make_unique<Impl>()) {
  if (limits.workers < 1) fail(ErrorCode::kInvalidArgument, "--http-threads must be at least 1");
  if (limits.max_connections < 1) fail(ErrorCode::kInvalidArgument, "--max-connections must be at least 1");
  if (limits.max_connections_per_client < 1)
    fail(ErrorCode::kInvalidArgument, "--max-connections-per-client must be at least 1");
  for (double t : {limits.header_timeout_s, limits.body_timeout_s, limits.write_timeout_s, limits.keep_alive_s})
    if (!(t > 0)) fail(ErrorCode::kInvalidArgument, "HTTP timeouts must be positive");
  if (!(limits.shutdown_timeout_s >= 0)) fail(ErrorCode::kInvalidArgument, "--shutdown-timeout must not be negative");
  impl_->limits = limits;
  impl_->handlers = std::move(handlers);
}

HttpServer::~HttpServer() { stop(); }

int HttpServer::bind(const std::string& host, int port) {
  Impl& s = *impl_;
  const size_t files = raise_open_files_limit();
  // Keep descriptors for the model, logs and the flag file: connections may use the rest.
  const size_t room = files > 256 ? files - 128 : files / 2;
  if (s.limits.max_connections > room) s.limits.max_connections = room;
  const std::string where = host + ":" + std::to_string(port);
  beast::error_code ec;
  auto address = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec) fail(ErrorCode::kIo, "cannot listen on " + where + ": '" + host + "' is not an IP address");
  tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
  s.acceptor.open(endpoint.protocol(), ec);
  if (!ec) s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    fail(ErrorCode::kIo, "cannot listen on " + where + " (" + ec.message() +
                             "; is the port in use, or the host not an address of this machine?)");
  return s.acceptor.local_endpoint().port();
}

void HttpServer::run() {
  Impl& s = *impl_;
  s.keep_running.emplace(s.io.get_executor());
  std::vector<std::thread> workers;
  for (int i = 0; i < s.limits.workers; ++i) workers.emplace_back([&s] { s.worker_loop(); });
  asio::post(s.io, [&s] {
    if (s.stop_requested) s.begin_shutdown();
    else s.accept();
  });
  s.io.run();
  {
    std::lock_guard<std::mutex> lock(s.jobs_mutex);
    s.jobs_closed = true;
  }
  s.jobs_cv.notify_all();
  for (auto& t : workers) t.join();
  // Connections cut off by the deadline close with the io_context's pending operations.
  std::vector<std::shared_ptr<Connection>> live;
  for (auto& w : s.connections)
    if (auto c = w.lock()) live.push_back(std::move(c));
  for (auto& c : live) c->close();
}

void HttpServer::stop() {
  Impl* s = impl_.get();
  s->stop_requested = true;
  asio::post(s->io, [s] { s->begin_shutdown(); });
}

HttpStats HttpServer::stats() const { return {impl_->open.load(), impl_->refused.load(), impl_->timeouts.load()}; }
const HttpLimits& HttpServer::limits() const { return impl_->limits; }

}  // namespace senti::serve

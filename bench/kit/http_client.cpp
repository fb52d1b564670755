#include "bench/kit/http_client.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <sstream>

namespace uw::kit {

namespace {

size_t on_body(char* p, size_t size, size_t n, void* ud) {
  static_cast<std::string*>(ud)->append(p, size * n);
  return size * n;
}

size_t on_header(char* p, size_t size, size_t n, void* ud) {
  auto* h = static_cast<std::multimap<std::string, std::string>*>(ud);
  std::string line(p, size * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string value = line.substr(colon + 1);
    auto b = value.find_first_not_of(" \t");
    auto e = value.find_last_not_of(" \t\r\n");
    value = b == std::string::npos ? "" : value.substr(b, e - b + 1);
    h->emplace(name, value);
  }
  return size * n;
}

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

std::string escape(CURL* c, const std::string& s) {
  char* e = curl_easy_escape(c, s.data(), static_cast<int>(s.size()));
  std::string out = e ? e : "";
  curl_free(e);
  return out;
}

}  // namespace

std::string HttpResponse::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

nlohmann::json HttpResponse::json() const { return nlohmann::json::parse(body); }

HttpClient::HttpClient(std::string base_url) : base_(std::move(base_url)) {
  static CurlGlobal global;
  curl_ = curl_easy_init();
  curl_easy_setopt(curl_, CURLOPT_COOKIEFILE, "");  // in-memory cookie engine
  curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);    // no SIGALRM for timeouts: clients run on many threads
}

HttpClient::~HttpClient() { curl_easy_cleanup(curl_); }

HttpResponse HttpClient::request(const std::string& method, const std::string& path, const std::string& body,
                                 const std::vector<std::string>& headers) {
  HttpResponse r;
  std::string url = base_ + path;
  curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl_, CURLOPT_NOBODY, method == "HEAD" ? 1L : 0L);
  curl_easy_setopt(curl_, CURLOPT_HTTPGET, method == "GET" ? 1L : 0L);
  if (method != "GET" && method != "HEAD") {
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  if (method == "GET") curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, nullptr);
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  list = curl_slist_append(list, "Expect:");
  curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &r.headers);
  curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, 30000L);
  curl_easy_setopt(curl_, CURLOPT_FOLLOWLOCATION, 0L);
  CURLcode rc = curl_easy_perform(curl_);
  curl_slist_free_all(list);
  if (rc != CURLE_OK) {
    r.error = curl_easy_strerror(rc);
    return r;
  }
  curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &r.status);
  return r;
}

HttpResponse HttpClient::get(const std::string& path, const std::vector<std::string>& headers) {
  return request("GET", path, "", headers);
}

HttpResponse HttpClient::post_form(const std::string& path,
                                   const std::vector<std::pair<std::string, std::string>>& fields,
                                   const std::vector<std::string>& headers) {
  std::string body;
  for (const auto& [k, v] : fields) {
    if (!body.empty()) body += '&';
    body += escape(curl_, k) + "=" + escape(curl_, v);
  }
  auto h = headers;
  h.push_back("Content-Type: application/x-www-form-urlencoded");
  return request("POST", path, body, h);
}

HttpResponse HttpClient::json(const std::string& method, const std::string& path, const nlohmann::json& body,
                              const std::string& bearer) {
  std::vector<std::string> h{"Content-Type: application/json"};
  if (!bearer.empty()) h.push_back("Authorization: Bearer " + bearer);
  return request(method, path, body.is_null() ? "" : body.dump(), h);
}

std::string HttpClient::cookie(const std::string& name) const {
  curl_slist* cookies = nullptr;
  curl_easy_getinfo(curl_, CURLINFO_COOKIELIST, &cookies);
  std::string value;
  for (auto* c = cookies; c; c = c->next) {
    // Netscape format: domain, flag, path, secure, expiry, name, value (tab separated)
    std::istringstream in(c->data);
    std::string field;
    std::vector<std::string> parts;
    while (std::getline(in, field, '\t')) parts.push_back(field);
    if (parts.size() >= 7 && parts[5] == name) value = parts[6];
  }
  curl_slist_free_all(cookies);
  return value;
}

void HttpClient::set_source_address(const std::string& ip) {
  // "host!" makes libcurl bind to the address as given (no interface look-up).
  source_ = "host!" + ip;
  curl_easy_setopt(curl_, CURLOPT_INTERFACE, source_.c_str());
}

void HttpClient::clear_cookies() { curl_easy_setopt(curl_, CURLOPT_COOKIELIST, "ALL"); }

std::string raw_exchange(uint16_t port, const std::string& bytes, int timeout_ms, bool shutdown_write) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "";
  }
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may close early (e.g. 431); read what it said
    off += static_cast<size_t>(n);
  }
  if (shutdown_write) ::shutdown(fd, SHUT_WR);
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
            .count();
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) break;
    char buf[8192];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

std::string html_input_value(const std::string& html, const std::string& name) {
  std::string key = "name=\"" + name + "\"";
  auto pos = html.find(key);
  if (pos == std::string::npos) return "";
  auto tag_start = html.rfind('<', pos);
  auto tag_end = html.find('>', pos);
  if (tag_start == std::string::npos || tag_end == std::string::npos) return "";
  std::string tag = html.substr(tag_start, tag_end - tag_start);
  auto v = tag.find("value=\"");
  if (v == std::string::npos) return "";
  v += 7;
  auto e = tag.find('"', v);
  return e == std::string::npos ? "" : tag.substr(v, e - v);
}

}  // namespace uw::kit

#pragma once
// Prometheus text-format metrics. A Registry owns metric families; metrics are
// updated on one thread (the loop thread of their owner) unless marked atomic.
// TextWriter is the one writer of the text format: Registry::render() uses it,
// and so does a program that reads its figures from their owners at scrape
// time instead of keeping a registry (the notifier).
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace uw::metrics {

class Counter {
 public:
  void inc(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

class Gauge {
 public:
  void set(double v) { v_.store(v, std::memory_order_relaxed); }
  double value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0};
};

// Fixed buckets (upper bounds, seconds or any unit), cumulative on render.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  std::vector<uint64_t> counts() const;  // per bucket, non-cumulative, last = +Inf
  double sum() const;
  uint64_t count() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
  std::atomic<uint64_t> count_{0};
};

// Labels are rendered in the given order: {{"route","/"},{"status","200"}}.
using Labels = std::vector<std::pair<std::string, std::string>>;

// Writes Prometheus text exposition format 0.0.4, one family after another:
// family() for the # HELP / # TYPE lines, then that family's samples. Names
// and label keys are ours (never user text); help and label values are escaped.
// One thread at a time.
class TextWriter {
 public:
  // type: "counter", "gauge" or "histogram".
  void family(std::string_view name, std::string_view help, std::string_view type);
  // One sample line, name{labels} value; `le`, when given, is added as the
  // last label (histogram buckets).
  void sample(std::string_view name, const Labels& labels, uint64_t value, std::string_view le = {});
  void sample(std::string_view name, const Labels& labels, double value);
  // A family of one unlabelled sample.
  void counter(std::string_view name, std::string_view help, uint64_t value);
  void gauge(std::string_view name, std::string_view help, double value);
  // The text so far; the writer is empty afterwards.
  std::string take() { return std::move(out_); }

 private:
  void labels(const Labels& labels, std::string_view le);
  std::string out_;
};

class Registry {
 public:
  Registry();
  ~Registry();  // out of line: Family is complete only in metrics.cpp
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;
  // Returns the metric for (name, labels), creating it on first use. References
  // stay valid for the registry's lifetime. help is taken from the first call.
  Counter& counter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, const Labels& labels = {});
  Histogram& histogram(const std::string& name, const std::string& help, const std::vector<double>& bounds,
                       const Labels& labels = {});
  // Prometheus text exposition format 0.0.4.
  std::string render() const;

 private:
  struct Family;
  std::map<std::string, std::unique_ptr<Family>> families_;
};

}  // namespace uw::metrics

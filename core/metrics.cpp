// Prometheus text exposition format 0.0.4:
// https://prometheus.io/docs/instrumenting/exposition_formats/
#include "core/metrics.hpp"

#include <fmt/format.h>

#include <cassert>
#include <cmath>
#include <deque>

namespace uw::metrics {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;  // bucket i: v <= bounds_[i]
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  // atomic<double> has no fetch_add before C++20 library support everywhere: CAS loop.
  double cur = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::counts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  for (size_t i = 0; i < out.size(); ++i) out[i] = counts_[i].load(std::memory_order_relaxed);
  return out;
}

double Histogram::sum() const { return sum_.load(std::memory_order_relaxed); }
uint64_t Histogram::count() const { return count_.load(std::memory_order_relaxed); }

// One metric name: its help, type, and one child per label set (in creation order).
// Children live in deques so references handed out stay valid.
struct Registry::Family {
  enum class Type { Counter = 0, Gauge = 1, Histogram = 2 };
  Type type = Type::Counter;
  std::string help;
  std::vector<double> bounds;
  std::vector<Labels> label_sets;
  std::deque<Counter> counters;
  std::deque<Gauge> gauges;
  std::deque<Histogram> histograms;

  static std::unique_ptr<Family> make(Type t, const std::string& help, std::vector<double> bounds) {
    auto f = std::make_unique<Family>();
    f->type = t;
    f->help = help;
    f->bounds = std::move(bounds);
    return f;
  }

  // Index of the child with these labels, or label_sets.size() when new.
  size_t find(const Labels& labels) const {
    size_t i = 0;
    for (; i < label_sets.size(); ++i)
      if (label_sets[i] == labels) break;
    return i;
  }
};

namespace {

// Prometheus text-format escaping: backslash and newline always, and '"' in a
// label value (HELP text keeps its quotes as they are).
enum class Escape { LabelValue, Help };
std::string escape(const std::string& v, Escape what) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"' && what == Escape::LabelValue)
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);  // shortest round-trip form
}

}  // namespace

void TextWriter::family(std::string_view name, std::string_view help, std::string_view type) {
  out_ +=
      fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape(std::string(help), Escape::Help), name, type);
}

// {a="x",b="y"} plus the le label when given; nothing when there is no label.
void TextWriter::labels(const Labels& labels, std::string_view le) {
  if (labels.empty() && le.empty()) return;
  out_ += '{';
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out_ += ',';
    first = false;
    out_ += k + "=\"" + escape(v, Escape::LabelValue) + "\"";
  }
  if (!le.empty()) {
    if (!first) out_ += ',';
    out_ += "le=\"";
    out_ += le;
    out_ += '"';
  }
  out_ += '}';
}

void TextWriter::sample(std::string_view name, const Labels& l, uint64_t value, std::string_view le) {
  out_ += name;
  labels(l, le);
  out_ += fmt::format(" {}\n", value);
}

void TextWriter::sample(std::string_view name, const Labels& l, double value) {
  out_ += name;
  labels(l, {});
  out_ += ' ';
  out_ += number(value);
  out_ += '\n';
}

void TextWriter::counter(std::string_view name, std::string_view help, uint64_t value) {
  family(name, help, "counter");
  sample(name, {}, value);
}

void TextWriter::gauge(std::string_view name, std::string_view help, double value) {
  family(name, help, "gauge");
  sample(name, {}, value);
}

Registry::Registry() = default;
Registry::~Registry() = default;

Counter& Registry::counter(const std::string& name, const std::string& help, const Labels& labels) {
  auto& f = families_[name];
  if (!f) f = Family::make(Family::Type::Counter, help, {});
  assert(f->type == Family::Type::Counter);
  size_t i = f->find(labels);
  if (i == f->label_sets.size()) {
    f->label_sets.push_back(labels);
    f->counters.emplace_back();
  }
  return f->counters[i];
}

Gauge& Registry::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  auto& f = families_[name];
  if (!f) f = Family::make(Family::Type::Gauge, help, {});
  assert(f->type == Family::Type::Gauge);
  size_t i = f->find(labels);
  if (i == f->label_sets.size()) {
    f->label_sets.push_back(labels);
    f->gauges.emplace_back();
  }
  return f->gauges[i];
}

Histogram& Registry::histogram(const std::string& name, const std::string& help,
                               const std::vector<double>& bounds, const Labels& labels) {
  auto& f = families_[name];
  if (!f) f = Family::make(Family::Type::Histogram, help, bounds);
  assert(f->type == Family::Type::Histogram);
  size_t i = f->find(labels);
  if (i == f->label_sets.size()) {
    f->label_sets.push_back(labels);
    f->histograms.emplace_back(f->bounds);  // every child of a family shares the first bounds
  }
  return f->histograms[i];
}

std::string Registry::render() const {
  TextWriter w;
  for (const auto& [name, f] : families_) {
    const char* type = f->type == Family::Type::Counter ? "counter"
                       : f->type == Family::Type::Gauge ? "gauge"
                                                        : "histogram";
    w.family(name, f->help, type);
    for (size_t i = 0; i < f->label_sets.size(); ++i) {
      const Labels& labels = f->label_sets[i];
      switch (f->type) {
        case Family::Type::Counter:
          w.sample(name, labels, f->counters[i].value());
          break;
        case Family::Type::Gauge:
          w.sample(name, labels, f->gauges[i].value());
          break;
        case Family::Type::Histogram: {
          const Histogram& h = f->histograms[i];
          auto counts = h.counts();
          uint64_t cumulative = 0;
          for (size_t b = 0; b < counts.size(); ++b) {
            cumulative += counts[b];
            std::string le = b < h.bounds().size() ? number(h.bounds()[b]) : "+Inf";
            w.sample(name + "_bucket", labels, cumulative, le);
          }
          w.sample(name + "_sum", labels, h.sum());
          // _count is the +Inf bucket, so the two agree even while observe() runs elsewhere.
          w.sample(name + "_count", labels, cumulative);
          break;
        }
      }
    }
  }
  return w.take();
}

}  // namespace uw::metrics

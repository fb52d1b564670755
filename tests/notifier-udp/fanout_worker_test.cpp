// notifier-udp/fanout_worker.cpp: the follow-graph reader thread hands back
// recipients in chunks, on the loop, and fails a fan-out cleanly without a
// database.
#include "notifier-udp/fanout_worker.hpp"

#include <gtest/gtest.h>
#include <uv.h>

#include <algorithm>
#include <string>
#include <vector>

#include "bench/kit/temp_dir.hpp"
#include "core/store/store.hpp"

namespace uw::notifier {
namespace {

// Runs `jobs` through a worker on a fresh loop until `want` last-chunks came
// back; returns every chunk in arrival order.
std::vector<FanoutChunk> run_jobs(FanoutWorker::Options opts, const std::vector<FanoutJob>& jobs,
                                  size_t want) {
  uv_loop_t loop;
  EXPECT_EQ(uv_loop_init(&loop), 0);
  std::vector<FanoutChunk> got;
  size_t lasts = 0;
  FanoutWorker* self = nullptr;
  FanoutWorker w(&loop, opts, [&](FanoutChunk&& c) {
    self->consumed(c.ids.size());
    lasts += c.last;
    got.push_back(std::move(c));
    if (lasts == want) self->stop([] {});
  });
  self = &w;
  w.start();
  for (const auto& j : jobs) w.submit(j);
  EXPECT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  EXPECT_EQ(lasts, want);
  EXPECT_EQ(uv_loop_close(&loop), 0);  // no handle left open
  return got;
}

struct Graph {
  kit::TempDir dir;
  std::string db = dir.file("uwitter.db");
  int64_t author = 0;
  std::vector<int64_t> followers;
};

void make_graph(Graph& g, int n) {
  auto s = Store::open(g.db, Store::Options{});
  ASSERT_TRUE(s.ok());
  auto& st = *s.value();
  g.author = st.create_user("alice", "x", 1).value().id;
  for (int i = 0; i < n; ++i) {
    const int64_t f = st.create_user("f" + std::to_string(i), "x", 1).value().id;
    ASSERT_TRUE(st.follow(f, g.author, 2).ok());
    g.followers.push_back(f);
  }
}

TEST(FanoutWorker, HandsBackEveryFollowerInChunksWithTheLastMarked) {
  Graph g;
  make_graph(g, 7);
  FanoutWorker::Options o;
  o.db_path = g.db;
  o.chunk = 3;
  auto chunks = run_jobs(o, {FanoutJob{1, g.author, 0, false}}, 1);
  std::vector<int64_t> ids;
  for (size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_EQ(chunks[i].job_id, 1u);
    EXPECT_TRUE(chunks[i].error.empty()) << chunks[i].error;
    EXPECT_LE(chunks[i].ids.size(), 3u);
    EXPECT_EQ(chunks[i].last, i + 1 == chunks.size());
    ids.insert(ids.end(), chunks[i].ids.begin(), chunks[i].ids.end());
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, g.followers);
}

TEST(FanoutWorker, ResolvesNamesWhenAsked) {
  Graph g;
  make_graph(g, 2);
  FanoutWorker::Options o;
  o.db_path = g.db;
  auto chunks = run_jobs(o, {FanoutJob{5, g.author, 0, true}}, 1);
  ASSERT_EQ(chunks.size(), 1u);
  ASSERT_EQ(chunks[0].names.size(), chunks[0].ids.size());
  std::vector<std::string> names = chunks[0].names;
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"f0", "f1"}));
}

TEST(FanoutWorker, SingleRecipientNeedsNoDatabaseButAFanoutFails) {
  FanoutWorker::Options o;  // no database
  auto chunks = run_jobs(o, {FanoutJob{1, 0, 42, false}, FanoutJob{2, 7, 0, false}}, 2);
  ASSERT_EQ(chunks.size(), 2u);
  for (const auto& c : chunks) {
    EXPECT_TRUE(c.last);
    if (c.job_id == 1) {
      EXPECT_EQ(c.ids, std::vector<int64_t>{42});
      EXPECT_TRUE(c.error.empty());
    } else {
      EXPECT_EQ(c.job_id, 2u);
      EXPECT_TRUE(c.ids.empty());
      EXPECT_FALSE(c.error.empty());
    }
  }
}

TEST(FanoutWorker, AnAuthorWithoutFollowersGetsOneEmptyLastChunk) {
  Graph g;
  make_graph(g, 0);
  FanoutWorker::Options o;
  o.db_path = g.db;
  auto chunks = run_jobs(o, {FanoutJob{3, g.author, 0, false}}, 1);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_TRUE(chunks[0].ids.empty());
  EXPECT_TRUE(chunks[0].last);
  EXPECT_TRUE(chunks[0].error.empty());
}

}  // namespace
}  // namespace uw::notifier

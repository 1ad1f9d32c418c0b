// Routing-table compression by ordered covering (Mundy, Heathcote and Garside, 2016): entries
// with the same route are merged into one entry whose key/mask covers them all, placed so
// that the first-match order keeps every other key on its route.
//
// Which keys matter. A router only ever sees the keys of the entries of its table and the
// keys of packets default-routed through it (`keep_unmatched`). Every other key is free: a
// merged entry may match it. This is what lets a merge cover the gaps between its entries.
// Each working entry therefore carries the key spaces it is responsible for (`covers`: the
// original entries merged into it, and spaces it took over from entries of its route).
//
// Invariant: every key that matters is routed as by the original table, by a first-matching
// entry that lists it among its covers; no key of `keep_unmatched` is matched. A merge M of
// entries with one route becomes the entry m (the bits on which all of M agree; the others
// are don't-care), inserted at P, above the first entry at least as general (as many or more
// don't-care bits). It is kept only when
//  - up-check: no entry between an entry o of M and P, with another route, matches a cover
//    of o (it would take o's keys before m does); such o leave M;
//  - down-check: m intersects no cover of an entry below P with another route, nor a space of
//    keep_unmatched. An intersection is removed by fixing one more bit of m: only the entries
//    of M whose bit differs from the intersecting space's stay, choosing the bit that keeps
//    the most.
// Each step applies the largest merge over all routes, until the table fits or none is left.
#include <algorithm>
#include <bit>
#include <map>

#include "hardware/machine_map.hpp"

namespace engram::hw {

namespace {

struct Space {
  std::uint32_t key = 0, mask = 0;
};

struct Working {
  RoutingEntry entry;
  std::vector<Space> covers;
};

bool intersect(std::uint32_t key_a, std::uint32_t mask_a, std::uint32_t key_b,
               std::uint32_t mask_b) {
  return ((key_a ^ key_b) & mask_a & mask_b) == 0;
}
bool intersect(const RoutingEntry& e, const Space& s) {
  return intersect(e.key, e.mask, s.key, s.mask);
}
bool intersect(const RoutingEntry& a, const RoutingEntry& b) {
  return intersect(a.key, a.mask, b.key, b.mask);
}

int generality(const RoutingEntry& e) {
  return std::popcount(~e.mask);
}

// The one entry covering every entry of `members` (indices into `table`), with their route.
RoutingEntry merge_of(const std::vector<Working>& table, const std::vector<std::size_t>& members) {
  const RoutingEntry& first = table[members.front()].entry;
  std::uint32_t mask = first.mask, differ = 0;
  for (std::size_t i : members) {
    mask &= table[i].entry.mask;
    differ |= table[i].entry.key ^ first.key;
  }
  mask &= ~differ;
  return {first.key & mask, mask, first.route};
}

// Where the merged entry goes: above the first entry, not in the merge, as general or more.
std::size_t insertion_point(const std::vector<Working>& table, const std::vector<bool>& in_merge,
                            const RoutingEntry& m) {
  const int g = generality(m);
  for (std::size_t i = 0; i < table.size(); ++i)
    if (!in_merge[i] && generality(table[i].entry) >= g) return i;
  return table.size();
}

// The spaces that would block merged entry m inserted at `position`: covers of entries
// below it with another route, and spaces to keep unmatched.
std::size_t blocking_spaces(const std::vector<Working>& table, const std::vector<bool>& in_merge,
                            std::size_t position, const RoutingEntry& m,
                            const std::vector<Space>& keep_unmatched) {
  std::size_t n = 0;
  for (std::size_t i = position; i < table.size(); ++i) {
    if (in_merge[i] || table[i].entry.route == m.route) continue;
    for (const Space& c : table[i].covers) n += intersect(m, c) ? 1 : 0;
  }
  for (const Space& c : keep_unmatched) n += intersect(m, c) ? 1 : 0;
  return n;
}

struct Merge {
  std::vector<std::size_t> members;
  RoutingEntry entry;
  std::size_t position = 0;
};

// The largest valid merge of the entries with `route` (members empty when there is none).
Merge best_merge(const std::vector<Working>& table, std::uint32_t route,
                 const std::vector<Space>& keep_unmatched) {
  Merge merge;
  for (std::size_t i = 0; i < table.size(); ++i)
    if (table[i].entry.route == route) merge.members.push_back(i);
  std::vector<bool> in_merge(table.size(), false);
  for (std::size_t i : merge.members) in_merge[i] = true;
  while (merge.members.size() >= 2) {
    merge.entry = merge_of(table, merge.members);
    merge.position = insertion_point(table, in_merge, merge.entry);
    // Up-check.
    std::vector<std::size_t> kept;
    for (std::size_t o : merge.members) {
      bool shadowed = false;
      for (std::size_t i = o + 1; i < merge.position && !shadowed; ++i) {
        if (in_merge[i] || table[i].entry.route == route) continue;
        for (const Space& c : table[o].covers) shadowed = shadowed || intersect(table[i].entry, c);
      }
      if (shadowed)
        in_merge[o] = false;
      else
        kept.push_back(o);
    }
    if (kept.size() != merge.members.size()) {
      merge.members = std::move(kept);
      continue;
    }
    // Down-check: the first space below P, or to keep unmatched, that m would take.
    const Space* blocker = nullptr;
    for (std::size_t i = merge.position; i < table.size() && !blocker; ++i) {
      if (in_merge[i] || table[i].entry.route == route) continue;
      for (const Space& c : table[i].covers)
        if (!blocker && intersect(merge.entry, c)) blocker = &c;
    }
    for (std::size_t i = 0; i < keep_unmatched.size() && !blocker; ++i)
      if (intersect(merge.entry, keep_unmatched[i])) blocker = &keep_unmatched[i];
    if (!blocker) return merge;
    // Fix one bit that the blocker defines and m leaves open, to the other value: the bit
    // that keeps the most entries, and among those the one whose smaller merge is blocked
    // by the fewest spaces (members spread over the key space make a wider merge).
    const std::uint32_t open = blocker->mask & ~merge.entry.mask;
    std::size_t best_count = 0, best_blocked = 0;
    std::uint32_t best_bit = 0;
    for (std::uint32_t bits = open; bits != 0; bits &= bits - 1) {
      const std::uint32_t bit = bits & (~bits + 1);
      std::vector<std::size_t> kept_by_bit;
      for (std::size_t o : merge.members) {
        const RoutingEntry& e = table[o].entry;
        if ((e.mask & bit) && (e.key & bit) != (blocker->key & bit)) kept_by_bit.push_back(o);
      }
      if (kept_by_bit.empty() || kept_by_bit.size() < best_count) continue;
      const std::size_t blocked =
          kept_by_bit.size() < 2 ? 0
                                 : blocking_spaces(table, in_merge, merge.position,
                                                   merge_of(table, kept_by_bit), keep_unmatched);
      if (kept_by_bit.size() > best_count || blocked < best_blocked) {
        best_count = kept_by_bit.size();
        best_blocked = blocked;
        best_bit = bit;
      }
    }
    std::vector<std::size_t> rest;
    for (std::size_t o : merge.members) {
      const RoutingEntry& e = table[o].entry;
      if (best_bit && (e.mask & best_bit) && (e.key & best_bit) != (blocker->key & best_bit))
        rest.push_back(o);
      else
        in_merge[o] = false;
    }
    merge.members = std::move(rest);
  }
  merge.members.clear();
  return merge;
}

// Applies a valid merge. Keys that now first match an entry of the merge's route other than
// the one that listed them are added to that entry's covers (the invariant above).
std::vector<Working> apply_merge(std::vector<Working>& table, const Merge& merge) {
  std::vector<bool> in_merge(table.size(), false);
  for (std::size_t i : merge.members) in_merge[i] = true;
  Working m{merge.entry, {}};
  for (std::size_t o : merge.members) {
    for (std::size_t i = o + 1; i < merge.position; ++i) {
      if (in_merge[i]) continue;  // same route by the up-check, when they intersect
      for (const Space& c : table[o].covers)
        if (intersect(table[i].entry, c)) table[i].covers.push_back(c);
    }
    m.covers.insert(m.covers.end(), table[o].covers.begin(), table[o].covers.end());
  }
  for (std::size_t i = merge.position; i < table.size(); ++i) {
    if (in_merge[i]) continue;
    for (const Space& c : table[i].covers)
      if (intersect(m.entry, c)) m.covers.push_back(c);  // same route by the down-check
  }
  std::vector<Working> next;
  next.reserve(table.size() - merge.members.size() + 1);
  for (std::size_t i = 0; i <= table.size(); ++i) {
    if (i == merge.position) next.push_back(std::move(m));
    if (i < table.size() && !in_merge[i]) next.push_back(std::move(table[i]));
  }
  return next;
}

// Whether no two entries match a common key: then their order does not matter.
bool orthogonal(const std::vector<RoutingEntry>& table) {
  for (std::size_t i = 0; i < table.size(); ++i)
    for (std::size_t j = i + 1; j < table.size(); ++j)
      if (intersect(table[i], table[j])) return false;
  return true;
}

}  // namespace

std::vector<RoutingEntry> compress(const std::vector<RoutingEntry>& table,
                                   std::uint32_t target_size,
                                   const std::vector<RoutingEntry>& keep_unmatched) {
  std::vector<RoutingEntry> sorted = table;
  for (RoutingEntry& e : sorted) e.key &= e.mask;
  // Ordered covering wants the table from specific to general; reordering is only safe
  // when no two entries overlap (as in the tables map_network builds).
  if (orthogonal(sorted))
    std::stable_sort(
        sorted.begin(), sorted.end(),
        [](const RoutingEntry& a, const RoutingEntry& b) { return generality(a) < generality(b); });
  std::vector<Working> t;
  for (const RoutingEntry& e : sorted) t.push_back({e, {{e.key, e.mask}}});
  std::vector<Space> keep;
  for (const RoutingEntry& e : keep_unmatched) keep.push_back({e.key & e.mask, e.mask});
  while (t.size() > target_size) {
    std::map<std::uint32_t, std::size_t> routes;  // route -> entries with it
    for (const Working& w : t) ++routes[w.entry.route];
    Merge best;
    for (const auto& [route, count] : routes) {
      if (count < 2 || count <= best.members.size()) continue;
      Merge m = best_merge(t, route, keep);
      if (m.members.size() > best.members.size()) best = std::move(m);
    }
    if (best.members.size() < 2) break;
    t = apply_merge(t, best);
  }
  std::vector<RoutingEntry> out;
  for (const Working& w : t) out.push_back(w.entry);
  return out;
}

}  // namespace engram::hw

//! Exact ranges where the sources name a rating category only in part. The unnamed CCGs of a
//! year can sit in any category that the published totals and group statements leave room
//! for; a *placement* is one such assignment. A test on a category (North of England against
//! the rest, or a 2013 fact against the rest) depends only on how many unnamed CCGs of each
//! side the placement puts in the category, so the question is which of those pairs of counts
//! some placement reaches. That is a flow question: CCGs flow into categories, the totals and
//! the group statements bound the flows, and a pair is reachable exactly when the network
//! with those bounds has a feasible flow (flows with integer bounds have integer solutions, so
//! no placement is missed or invented). Every reachable pair is listed, none sampled; a test
//! enumerates every placement of a small fixture and agrees.
//!
//! The network is a tree of bounds per category (group statements within a category must not
//! overlap; totals over several categories must not overlap each other), so a statement whose
//! group spans both sides of a test is split: each way of dividing its count between the sides
//! is tried in turn.

/// A count too large to bind.
const FREE: u32 = u32::MAX / 4;

/// A statement about a group of bodies: between `lo` and `hi` of `members` are in `cat`.
#[derive(Debug, Clone)]
pub struct Rule {
    pub cat: usize,
    pub members: Vec<usize>,
    pub lo: u32,
    pub hi: u32,
}

/// One rating year as the placements see it.
#[derive(Debug, Clone)]
pub struct Year {
    /// Each body's category where a source names it.
    pub named: Vec<Option<usize>>,
    /// Published totals over sets of categories (one category, or several together).
    pub totals: Vec<(Vec<usize>, u32)>,
    pub rules: Vec<Rule>,
    pub n_cats: usize,
    /// The rules and totals the network holds (see `usable`), and what it leaves out.
    use_rules: Vec<usize>,
    use_totals: Vec<usize>,
    pub dropped: Vec<String>,
}

/// Which side of a test an unnamed body is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    A,
    B,
    Neither,
}

/// The reachable counts of unnamed bodies placed in a category: for each count on side A, the
/// least and most on side B.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach {
    pub pairs: Vec<(u32, u32, u32)>,
}

impl Reach {
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
    /// Every reachable (a, b).
    pub fn each(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.pairs
            .iter()
            .flat_map(|&(a, lo, hi)| (lo..=hi).map(move |b| (a, b)))
    }
    pub fn a_range(&self) -> Option<(u32, u32)> {
        Some((self.pairs.first()?.0, self.pairs.last()?.0))
    }
}

/// A small max-flow (Dinic) with lower bounds on edges, for feasibility only.
struct Net {
    head: Vec<Vec<usize>>,
    to: Vec<usize>,
    cap: Vec<u64>,
    excess: Vec<i64>,
}

impl Net {
    fn new(n: usize) -> Net {
        Net {
            head: vec![vec![]; n],
            to: vec![],
            cap: vec![],
            excess: vec![0; n],
        }
    }
    fn node(&mut self) -> usize {
        self.head.push(vec![]);
        self.excess.push(0);
        self.head.len() - 1
    }
    fn raw(&mut self, u: usize, v: usize, c: u64) {
        self.head[u].push(self.to.len());
        self.to.push(v);
        self.cap.push(c);
        self.head[v].push(self.to.len());
        self.to.push(u);
        self.cap.push(0);
    }
    /// An edge carrying between lo and hi units.
    fn edge(&mut self, u: usize, v: usize, lo: u32, hi: u32) -> bool {
        if lo > hi {
            return false;
        }
        self.raw(u, v, u64::from(hi - lo));
        self.excess[v] += i64::from(lo);
        self.excess[u] -= i64::from(lo);
        true
    }
    /// Whether a flow meets every lower bound (a circulation once `sink` feeds `source`).
    fn feasible(mut self, source: usize, sink: usize) -> bool {
        self.raw(sink, source, u64::from(FREE) * 4);
        let (ss, tt) = (self.node(), self.node());
        let mut need = 0u64;
        for v in 0..ss {
            let e = self.excess[v];
            if e > 0 {
                self.raw(ss, v, e as u64);
                need += e as u64;
            } else if e < 0 {
                self.raw(v, tt, (-e) as u64);
            }
        }
        self.max_flow(ss, tt) == need
    }
    fn max_flow(&mut self, s: usize, t: usize) -> u64 {
        let n = self.head.len();
        let mut total = 0;
        loop {
            let mut level = vec![usize::MAX; n];
            level[s] = 0;
            let mut queue = std::collections::VecDeque::from([s]);
            while let Some(u) = queue.pop_front() {
                for &e in &self.head[u] {
                    if self.cap[e] > 0 && level[self.to[e]] == usize::MAX {
                        level[self.to[e]] = level[u] + 1;
                        queue.push_back(self.to[e]);
                    }
                }
            }
            if level[t] == usize::MAX {
                return total;
            }
            let mut next = vec![0usize; n];
            loop {
                let f = self.push(s, t, u64::MAX, &level, &mut next);
                if f == 0 {
                    break;
                }
                total += f;
            }
        }
    }
    fn push(&mut self, u: usize, t: usize, f: u64, level: &[usize], next: &mut [usize]) -> u64 {
        if u == t {
            return f;
        }
        while next[u] < self.head[u].len() {
            let e = self.head[u][next[u]];
            let v = self.to[e];
            if self.cap[e] > 0 && level[v] == level[u] + 1 {
                let got = self.push(v, t, f.min(self.cap[e]), level, next);
                if got > 0 {
                    self.cap[e] -= got;
                    self.cap[e ^ 1] += got;
                    return got;
                }
            }
            next[u] += 1;
        }
        0
    }
}

impl Year {
    pub fn new(
        named: Vec<Option<usize>>,
        totals: Vec<(Vec<usize>, u32)>,
        rules: Vec<Rule>,
        n_cats: usize,
    ) -> Year {
        let mut y = Year {
            named,
            totals,
            rules,
            n_cats,
            use_rules: vec![],
            use_totals: vec![],
            dropped: vec![],
        };
        (y.use_rules, y.use_totals, y.dropped) = y.usable();
        y
    }

    /// Named bodies in `cat` among `members`.
    fn named_in(&self, cat: usize, members: impl IntoIterator<Item = usize>) -> u32 {
        members
            .into_iter()
            .filter(|&i| self.named[i] == Some(cat))
            .count() as u32
    }

    /// The statements the network can hold, and those it cannot (with the reason): a group
    /// overlapping an earlier one in the same category, a total over categories overlapping
    /// an earlier total.
    fn usable(&self) -> (Vec<usize>, Vec<usize>, Vec<String>) {
        let (mut rules, mut totals, mut dropped) = (vec![], vec![], vec![]);
        for (i, r) in self.rules.iter().enumerate() {
            let clash = rules.iter().any(|&j: &usize| {
                let o = &self.rules[j];
                o.cat == r.cat && o.members.iter().any(|m| r.members.contains(m))
            });
            if clash {
                dropped.push(format!(
                    "a group statement overlapping another in the same category ({} members)",
                    r.members.len()
                ));
            } else {
                rules.push(i);
            }
        }
        for (i, (cats, _)) in self.totals.iter().enumerate() {
            let clash = cats.len() > 1
                && totals.iter().any(|&j: &usize| {
                    let o = &self.totals[j].0;
                    o.len() > 1 && o.iter().any(|c| cats.contains(c))
                });
            if clash {
                dropped.push(format!(
                    "a total over categories {cats:?} overlapping another"
                ));
            } else {
                totals.push(i);
            }
        }
        (rules, totals, dropped)
    }

    /// Whether some placement puts between `a.0` and `a.1` unnamed side-A bodies and between
    /// `b.0` and `b.1` side-B bodies in `cat`.
    pub fn feasible(&self, cat: usize, side: &[Side], a: (u32, u32), b: (u32, u32)) -> bool {
        Query::new(self, cat, side).feasible(a, b)
    }

    /// The least and most unnamed side-A bodies some placement puts in `cat` (every count
    /// between is reached too), or None when no placement agrees with the record.
    pub fn a_range(&self, cat: usize, side: &[Side]) -> Option<(u32, u32)> {
        let na = (0..self.named.len())
            .filter(|&i| self.named[i].is_none() && side[i] == Side::A)
            .count() as u32;
        let free = (0, FREE);
        let q = Query::new(self, cat, side);
        if !q.feasible((0, na), free) {
            return None;
        }
        let (mut lo, mut hi) = (0, na);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if q.feasible((0, mid), free) {
                hi = mid
            } else {
                lo = mid + 1
            }
        }
        let least = lo;
        let (mut lo, mut hi) = (least, na);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if q.feasible((mid, na), free) {
                lo = mid
            } else {
                hi = mid - 1
            }
        }
        Some((least, lo))
    }

    /// Every reachable (a, b): a the unnamed side-A bodies placed in `cat`, b the side-B ones.
    /// For each a the reachable b form an interval (a flow polytope's projection has no holes).
    pub fn reach(&self, cat: usize, side: &[Side]) -> Reach {
        let count = |s: Side| {
            (0..self.named.len())
                .filter(|&i| self.named[i].is_none() && side[i] == s)
                .count() as u32
        };
        let nb = count(Side::B);
        let mut pairs = vec![];
        let Some((first, last)) = self.a_range(cat, side) else {
            return Reach { pairs };
        };
        let q = Query::new(self, cat, side);
        // Every a between the ends is reached (an interval); the b ends move little from one a
        // to the next, so each search starts from the last one's answer.
        let (mut least, mut most) = (0, nb);
        for a in first..=last {
            // Least b: the smallest cap still feasible; most b: the largest floor.
            least = first_true(|c| q.feasible((a, a), (0, c)), 0, nb, least);
            most = nb
                - first_true(
                    |c| q.feasible((a, a), (nb - c, nb)),
                    0,
                    nb - least,
                    nb - most.max(least),
                );
            pairs.push((a, least, most));
        }
        Reach { pairs }
    }

    /// Whether any placement agrees with every total and statement.
    pub fn consistent(&self) -> bool {
        let side = vec![Side::Neither; self.named.len()];
        self.feasible(0, &side, (0, FREE), (0, FREE))
    }
}

/// The smallest c in [lo, hi] with `f(c)` true, for `f` false then true and true at `hi`,
/// searched outward from `guess` (a few calls when the answer is near it).
fn first_true(f: impl Fn(u32) -> bool, lo: u32, hi: u32, guess: u32) -> u32 {
    let g = guess.clamp(lo, hi);
    // (false_at, true_at): f(false_at) false (or below lo), f(true_at) true.
    let (mut below, mut above): (Option<u32>, u32);
    if f(g) {
        above = g;
        below = None;
        let mut step = 1;
        while above > lo {
            let c = above.saturating_sub(step).max(lo);
            if f(c) {
                above = c;
                step *= 2;
            } else {
                below = Some(c);
                break;
            }
        }
    } else {
        below = Some(g);
        let mut step = 1;
        loop {
            let c = (below.unwrap_or(lo) + step).min(hi);
            if f(c) {
                above = c;
                break;
            }
            below = Some(c);
            step *= 2;
        }
    }
    let Some(mut b) = below else { return above };
    while above - b > 1 {
        let mid = b + (above - b) / 2;
        if f(mid) {
            above = mid
        } else {
            b = mid
        }
    }
    above
}

/// One test's fixed parts, worked out once: the cells (unnamed bodies alike in side and in the
/// statements holding them), the statements split between sides, and the named counts.
struct Query<'a> {
    y: &'a Year,
    cat: usize,
    /// (side, statements holding them, how many).
    cells: Vec<(Side, Vec<usize>, u32)>,
    /// Statements on `cat` whose unnamed members lie on more than one side.
    spanning: Vec<usize>,
    /// Per statement: named members in its category; unnamed members per side.
    rule_named: Vec<u32>,
    rule_unnamed: Vec<[u32; 3]>,
    /// Named bodies per category.
    cat_named: Vec<u32>,
}

fn side_ix(s: Side) -> usize {
    match s {
        Side::A => 0,
        Side::B => 1,
        Side::Neither => 2,
    }
}

impl<'a> Query<'a> {
    fn new(y: &'a Year, cat: usize, side: &[Side]) -> Query<'a> {
        let mut cells: std::collections::BTreeMap<(Side, Vec<usize>), u32> = Default::default();
        for (i, named) in y.named.iter().enumerate() {
            if named.is_none() {
                let holding: Vec<usize> = y
                    .use_rules
                    .iter()
                    .copied()
                    .filter(|&r| y.rules[r].members.contains(&i))
                    .collect();
                *cells.entry((side[i], holding)).or_default() += 1;
            }
        }
        let rule_named: Vec<u32> = y
            .rules
            .iter()
            .map(|r| y.named_in(r.cat, r.members.iter().copied()))
            .collect();
        let rule_unnamed: Vec<[u32; 3]> = y
            .rules
            .iter()
            .map(|r| {
                let mut n = [0u32; 3];
                for &m in r.members.iter().filter(|&&m| y.named[m].is_none()) {
                    n[side_ix(side[m])] += 1;
                }
                n
            })
            .collect();
        let spanning = y
            .use_rules
            .iter()
            .copied()
            .filter(|&r| {
                y.rules[r].cat == cat && rule_unnamed[r].iter().filter(|&&n| n > 0).count() > 1
            })
            .collect();
        Query {
            y,
            cat,
            cells: cells.into_iter().map(|((s, h), n)| (s, h, n)).collect(),
            spanning,
            rule_named,
            rule_unnamed,
            cat_named: (0..y.n_cats)
                .map(|c| y.named_in(c, 0..y.named.len()))
                .collect(),
        }
    }

    fn feasible(&self, a: (u32, u32), b: (u32, u32)) -> bool {
        let mut split = vec![];
        self.try_splits(a, b, &self.spanning, &mut split)
    }

    /// Each way of dividing the spanning statements' counts between the sides, in turn.
    fn try_splits(
        &self,
        a: (u32, u32),
        b: (u32, u32),
        spanning: &[usize],
        split: &mut Vec<(usize, Side, u32, u32)>,
    ) -> bool {
        let Some((&r, rest)) = spanning.split_first() else {
            return self.network(a, b, split);
        };
        let rule = &self.y.rules[r];
        let named = self.rule_named[r];
        if rule.hi < named {
            return false;
        }
        let (lo, hi) = (rule.lo.saturating_sub(named), rule.hi - named);
        // Side A takes x of the statement's count, side B y, bodies on neither side the rest.
        let [na, nb, nn] = self.rule_unnamed[r];
        for x in 0..=na {
            for y in 0..=nb {
                if x + y > hi {
                    break;
                }
                let (rest_lo, rest_hi) = (lo.saturating_sub(x + y), (hi - x - y).min(FREE));
                if rest_lo > nn {
                    continue;
                }
                let len = split.len();
                split.extend([
                    (r, Side::A, x, x),
                    (r, Side::B, y, y),
                    (r, Side::Neither, rest_lo, rest_hi),
                ]);
                let ok = self.try_splits(a, b, rest, split);
                split.truncate(len);
                if ok {
                    return true;
                }
            }
        }
        false
    }

    /// The network for fixed bounds; `split` bounds each spanning statement's part per side.
    fn network(&self, a: (u32, u32), b: (u32, u32), split: &[(usize, Side, u32, u32)]) -> bool {
        let y = self.y;
        let cat = self.cat;
        let mut net = Net::new(2);
        let (source, sink) = (0, 1);
        let Some(cat_node) = self.category_nodes(&mut net, sink) else {
            return false;
        };
        // The tested category's sides.
        let side_node: Vec<usize> = (0..3).map(|_| net.node()).collect();
        net.edge(side_node[0], cat_node[cat], a.0, a.1);
        net.edge(side_node[1], cat_node[cat], b.0, b.1);
        net.edge(side_node[2], cat_node[cat], 0, FREE);
        let Some(rule_node) = self.statement_nodes(&mut net, &cat_node, &side_node, split) else {
            return false;
        };
        for (s, holding, size) in &self.cells {
            let cell = net.node();
            net.edge(source, cell, *size, *size);
            for (c, &node) in cat_node.iter().enumerate() {
                let r = holding.iter().find(|&&r| y.rules[r].cat == c);
                let to = match (r, c == cat) {
                    (Some(&r), true) => rule_node[r][side_ix(*s)],
                    (Some(&r), false) => rule_node[r][0],
                    (None, true) => side_node[side_ix(*s)],
                    (None, false) => node,
                };
                net.edge(cell, to, 0, *size);
            }
        }
        net.feasible(source, sink)
    }

    /// Category nodes, and the totals above them: a total of one category bounds its node's
    /// flow to the sink, a total over several is a node of its own. None when a total is below
    /// the CCGs already named, or two totals of one category disagree.
    fn category_nodes(&self, net: &mut Net, sink: usize) -> Option<Vec<usize>> {
        let y = self.y;
        let cat_node: Vec<usize> = (0..y.n_cats).map(|_| net.node()).collect();
        let mut single: Vec<Option<u32>> = vec![None; y.n_cats];
        let mut parent: Vec<usize> = vec![sink; y.n_cats];
        for &t in &y.use_totals {
            let (cats, total) = &y.totals[t];
            let named = cats.iter().map(|&c| self.cat_named[c]).sum::<u32>();
            let left = total.checked_sub(named)?;
            if let [c] = cats.as_slice() {
                if single[*c].is_some_and(|s| s != left) {
                    return None;
                }
                single[*c] = Some(left);
            } else {
                let combo = net.node();
                if !net.edge(combo, sink, left, left) {
                    return None;
                }
                for &c in cats {
                    parent[c] = combo;
                }
            }
        }
        for c in 0..y.n_cats {
            let (lo, hi) = single[c].map_or((0, FREE), |s| (s, s));
            net.edge(cat_node[c], parent[c], lo, hi);
        }
        Some(cat_node)
    }

    /// Statement nodes: per side for the tested category, one each for the others (indexed by
    /// statement, then side). None when a statement cannot be met.
    fn statement_nodes(
        &self,
        net: &mut Net,
        cat_node: &[usize],
        side_node: &[usize],
        split: &[(usize, Side, u32, u32)],
    ) -> Option<Vec<[usize; 3]>> {
        let y = self.y;
        let mut rule_node: Vec<[usize; 3]> = vec![[usize::MAX; 3]; y.rules.len()];
        for &r in &y.use_rules {
            let rule = &y.rules[r];
            let named = self.rule_named[r];
            if rule.hi < named {
                return None;
            }
            let (lo, hi) = (rule.lo.saturating_sub(named), (rule.hi - named).min(FREE));
            let unnamed = self.rule_unnamed[r];
            if lo > unnamed.iter().sum::<u32>() {
                return None;
            }
            if rule.cat == self.cat {
                let spanning = split.iter().any(|s| s.0 == r);
                for s in [Side::A, Side::B, Side::Neither] {
                    let node = net.node();
                    rule_node[r][side_ix(s)] = node;
                    // A spanning statement's part on this side as split; otherwise the side
                    // holding all its unnamed members carries its bounds, the others nothing.
                    let (l, h) = if spanning {
                        split
                            .iter()
                            .find(|x| x.0 == r && x.1 == s)
                            .map_or((0, FREE), |x| (x.2, x.3.min(FREE)))
                    } else if unnamed[side_ix(s)] > 0 {
                        (lo, hi)
                    } else {
                        (0, 0)
                    };
                    if !net.edge(node, side_node[side_ix(s)], l, h) {
                        return None;
                    }
                }
            } else {
                let node = net.node();
                rule_node[r][0] = node;
                if !net.edge(node, cat_node[rule.cat], lo, hi) {
                    return None;
                }
            }
        }
        Some(rule_node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every placement of the unnamed bodies, by brute force: the (a, b) pairs reached.
    fn brute(y: &Year, cat: usize, side: &[Side]) -> std::collections::BTreeSet<(u32, u32)> {
        let unnamed: Vec<usize> = (0..y.named.len())
            .filter(|&i| y.named[i].is_none())
            .collect();
        let mut out = std::collections::BTreeSet::new();
        let k = y.n_cats;
        for code in 0..k.pow(unnamed.len() as u32) {
            let mut of = y.named.clone();
            let mut c = code;
            for &i in &unnamed {
                of[i] = Some(c % k);
                c /= k;
            }
            let count = |cats: &[usize], members: &mut dyn Iterator<Item = usize>| {
                members.filter(|&i| cats.contains(&of[i].unwrap())).count() as u32
            };
            let ok = y
                .totals
                .iter()
                .all(|(cats, t)| count(cats, &mut (0..of.len())) == *t)
                && y.rules.iter().all(|r| {
                    let n = count(&[r.cat], &mut r.members.iter().copied());
                    r.lo <= n && n <= r.hi
                });
            if ok {
                let placed = |s: Side| {
                    unnamed
                        .iter()
                        .filter(|&&i| side[i] == s && of[i] == Some(cat))
                        .count() as u32
                };
                out.insert((placed(Side::A), placed(Side::B)));
            }
        }
        out
    }

    /// Ten bodies, three categories. Named: 0 and 1 in category 0, 2 in category 2. Totals:
    /// category 2 has 3; categories 0 and 1 together 7. Statements: of bodies {1, 3, 4, 5}
    /// exactly 2 are in category 0 (it spans both sides of the tests below); of {6, 7} at
    /// most 1 is in category 1.
    fn fixture() -> Year {
        let mut named = vec![None; 10];
        named[0] = Some(0);
        named[1] = Some(0);
        named[2] = Some(2);
        Year::new(
            named,
            vec![(vec![2], 3), (vec![0, 1], 7)],
            vec![
                Rule {
                    cat: 0,
                    members: vec![1, 3, 4, 5],
                    lo: 2,
                    hi: 2,
                },
                Rule {
                    cat: 1,
                    members: vec![6, 7],
                    lo: 0,
                    hi: 1,
                },
            ],
            3,
        )
    }

    #[test]
    fn reachable_counts_match_every_placement_of_the_fixture() {
        let y = fixture();
        assert!(y.consistent());
        let sides: Vec<Vec<Side>> = vec![
            // A: bodies 3 and 6 (one in each statement), B: 4, 7, 8, 9; 5 on neither side.
            (0..10)
                .map(|i| match i {
                    3 | 6 => Side::A,
                    5 => Side::Neither,
                    _ => Side::B,
                })
                .collect(),
            // A: the first half, B: the second.
            (0..10)
                .map(|i| if i < 5 { Side::A } else { Side::B })
                .collect(),
        ];
        let mut distinct = std::collections::BTreeSet::new();
        for side in &sides {
            for cat in 0..3 {
                let want = brute(&y, cat, side);
                let got: std::collections::BTreeSet<(u32, u32)> =
                    y.reach(cat, side).each().collect();
                assert_eq!(got, want, "category {cat}, sides {side:?}");
                distinct.insert(want.len());
            }
        }
        // The cases differ (so a constant answer could not pass) and none is empty.
        assert!(
            distinct.len() >= 3 && !distinct.contains(&0),
            "{distinct:?}"
        );
    }

    #[test]
    fn contradictory_statements_leave_no_placement() {
        let f = fixture();
        let mut rules = f.rules.clone();
        // Exactly 2 of {1, 3, 4, 5} in category 0 (1 is named there, so one of 3, 4, 5), but
        // also all three of 3, 4, 5 in category 1 (in place of the fixture's statement on
        // {6, 7}).
        rules[1] = Rule {
            cat: 1,
            members: vec![3, 4, 5],
            lo: 3,
            hi: 3,
        };
        let y = Year::new(f.named.clone(), f.totals.clone(), rules, 3);
        assert!(brute(&y, 0, &[Side::Neither; 10]).is_empty());
        assert!(!y.consistent());
    }
}

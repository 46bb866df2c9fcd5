//! The class assignment as a transportation problem: every CCG takes one class it may take, each
//! class holds exactly its published number of CCGs, and the total value is as large as
//! possible. Solved exactly as a minimum-cost flow (successive shortest paths); CCGs with the
//! same options and values are one source of several units, so the network stays small.

/// `values[u]` lists (class, value) for each class unit u may take. Returns the best total value
/// and each unit's class, or None when no assignment fills every class exactly.
pub fn assign(values: &[Vec<(usize, f64)>], class_count: &[u32]) -> Option<(f64, Vec<usize>)> {
    // Group identical units (same options and values) in first-seen order.
    let mut groups: Vec<(Vec<(usize, f64)>, Vec<usize>)> = vec![];
    let mut seen: std::collections::HashMap<Vec<(usize, u64)>, usize> = Default::default();
    for (u, opts) in values.iter().enumerate() {
        let key: Vec<(usize, u64)> = opts.iter().map(|&(k, v)| (k, v.to_bits())).collect();
        match seen.get(&key) {
            Some(&t) => groups[t].1.push(u),
            None => {
                seen.insert(key, groups.len());
                groups.push((opts.clone(), vec![u]));
            }
        }
    }
    assign_groups(&groups, values.len(), class_count)
}

/// As `assign`, for units already grouped: each group's (class, value) options and members.
///
/// Why this shape: there are few classes (about 14) and many groups, and the function runs
/// thousands of times per analysis. Every group starts in its best class, ignoring the class
/// counts; that start is optimal for its own class loads, so the cheapest way to the published
/// counts is a minimum-cost flow of the surplus from overfull to underfull classes (successive
/// shortest paths from a pseudo-flow with no negative cycle). The flow runs on the classes
/// alone: moving a unit of group g from class i to class j costs g's value in i minus its value
/// in j, and the cheapest such move is the edge i -> j, so each shortest path is a Bellman-Ford
/// over the classes, not over every group. `reference::assign_groups` (tests) solves the full
/// network from empty instead; the tests check the two agree.
pub fn assign_groups<M: AsRef<[usize]>>(
    groups: &[(Vec<(usize, f64)>, M)],
    n_units: usize,
    class_count: &[u32],
) -> Option<(f64, Vec<usize>)> {
    let nc = class_count.len();
    if class_count.iter().map(|&c| c as usize).sum::<usize>() != n_units {
        return None;
    }
    // Units of each group in each of its options; every group starts at its best option.
    let mut flow: Vec<Vec<u32>> = Vec::with_capacity(groups.len());
    let mut surplus: Vec<i64> = class_count.iter().map(|&c| -i64::from(c)).collect();
    for (opts, members) in groups {
        let members = members.as_ref();
        let mut f = vec![0u32; opts.len()];
        if !members.is_empty() {
            let best = (0..opts.len()).reduce(|a, b| if opts[b].1 > opts[a].1 { b } else { a })?;
            f[best] = members.len() as u32;
            surplus[opts[best].0] += members.len() as i64;
        }
        flow.push(f);
    }
    // The cheapest move from class i to class j: (loss, group, from option, to option).
    let mut edge: Vec<(f64, usize, usize, usize)> = vec![(f64::INFINITY, 0, 0, 0); nc * nc];
    let mut dist = vec![f64::INFINITY; nc];
    let mut pred = vec![usize::MAX; nc];
    while surplus.iter().any(|&e| e > 0) {
        cheapest_moves(groups, &flow, nc, &mut edge);
        // Shortest paths from every overfull class (no negative cycle: see above).
        shortest_paths(&edge, &surplus, &mut dist, &mut pred);
        // The nearest underfull class; none reachable means the counts cannot be met.
        let t = (0..nc)
            .filter(|&k| surplus[k] < 0 && dist[k].is_finite())
            .min_by(|&a, &b| dist[a].total_cmp(&dist[b]))?;
        let mut path = vec![];
        let mut v = t;
        while pred[v] != usize::MAX && path.len() < nc {
            path.push(pred[v] * nc + v);
            v = pred[v];
        }
        let s = v;
        let mut push = surplus[s].min(-surplus[t]);
        for &e in &path {
            let (_, g, oi, _) = edge[e];
            push = push.min(i64::from(flow[g][oi]));
        }
        if surplus[s] <= 0 || push <= 0 {
            return None; // cannot happen without a negative cycle; refuse rather than loop
        }
        for &e in &path {
            let (_, g, oi, oj) = edge[e];
            flow[g][oi] -= push as u32;
            flow[g][oj] += push as u32;
        }
        surplus[s] -= push;
        surplus[t] += push;
    }
    let mut class_of = vec![usize::MAX; n_units];
    let mut total = 0.0;
    for (g, (opts, members)) in groups.iter().enumerate() {
        let mut it = members.as_ref().iter();
        for (o, &(k, v)) in opts.iter().enumerate() {
            for _ in 0..flow[g][o] {
                class_of[*it.next()?] = k;
                total += v;
            }
        }
    }
    Some((total, class_of))
}

/// One move per class pair: `edge[i * nc + j]` becomes the cheapest way to move one unit from
/// class i to class j (loss, group, from option, to option), over the groups with a unit in i.
#[inline]
fn cheapest_moves<M>(
    groups: &[(Vec<(usize, f64)>, M)],
    flow: &[Vec<u32>],
    nc: usize,
    edge: &mut [(f64, usize, usize, usize)],
) {
    edge.iter_mut().for_each(|e| e.0 = f64::INFINITY);
    for (g, (opts, _)) in groups.iter().enumerate() {
        for (oi, &(i, vi)) in opts.iter().enumerate() {
            if flow[g][oi] == 0 {
                continue;
            }
            for (oj, &(j, vj)) in opts.iter().enumerate() {
                let e = &mut edge[i * nc + j];
                if i != j && vi - vj < e.0 {
                    *e = (vi - vj, g, oi, oj);
                }
            }
        }
    }
}

/// Bellman-Ford over the classes from every overfull class at once: `dist[k]` is the cheapest
/// loss of a path of moves into class k and `pred[k]` the class before it (`usize::MAX` at a start
/// or where unreached).
#[inline]
fn shortest_paths(
    edge: &[(f64, usize, usize, usize)],
    surplus: &[i64],
    dist: &mut [f64],
    pred: &mut [usize],
) {
    let nc = surplus.len();
    for k in 0..nc {
        dist[k] = if surplus[k] > 0 { 0.0 } else { f64::INFINITY };
        pred[k] = usize::MAX;
    }
    for _ in 0..nc {
        let mut changed = false;
        for i in 0..nc {
            if dist[i].is_infinite() {
                continue;
            }
            for j in 0..nc {
                let c = edge[i * nc + j].0;
                if dist[i] + c < dist[j] - 1e-12 {
                    dist[j] = dist[i] + c;
                    pred[j] = i;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
}

/// The full network solved from empty flow (successive shortest paths over groups and classes):
/// a second algorithm the tests hold `assign_groups` to.
#[cfg(test)]
pub(crate) mod reference {
    use super::Graph;

    pub fn assign_groups(
        groups: &[(Vec<(usize, f64)>, Vec<usize>)],
        n_units: usize,
        class_count: &[u32],
    ) -> Option<(f64, Vec<usize>)> {
        let nt = groups.len();
        let nc = class_count.len();
        let (src, sink) = (nt + nc, nt + nc + 1);
        let mut g = Graph::new(nt + nc + 2);
        let mut type_edges = vec![];
        for (t, (opts, members)) in groups.iter().enumerate() {
            g.add(src, t, members.len() as i64, 0.0);
            type_edges.push(
                opts.iter()
                    .map(|&(k, v)| (k, g.add(t, nt + k, members.len() as i64, -v)))
                    .collect::<Vec<_>>(),
            );
        }
        for (k, &c) in class_count.iter().enumerate() {
            g.add(nt + k, sink, c as i64, 0.0);
        }
        let need = n_units as i64;
        if class_count.iter().map(|&c| c as i64).sum::<i64>() != need {
            return None;
        }
        let (flow, cost) = g.min_cost_flow(src, sink, need);
        if flow < need {
            return None;
        }
        let mut class_of = vec![usize::MAX; n_units];
        for (t, (_, members)) in groups.iter().enumerate() {
            let mut it = members.iter();
            for &(k, e) in &type_edges[t] {
                for _ in 0..g.flow(e) {
                    class_of[*it.next()?] = k;
                }
            }
        }
        Some((-cost, class_of))
    }
}

#[cfg(test)]
struct Edge {
    to: usize,
    cap: i64,
    cost: f64,
}

#[cfg(test)]
struct Graph {
    edges: Vec<Edge>,
    adj: Vec<Vec<usize>>,
    original: Vec<i64>,
}

#[cfg(test)]
impl Graph {
    fn new(n: usize) -> Self {
        Graph {
            edges: vec![],
            adj: vec![vec![]; n],
            original: vec![],
        }
    }
    fn add(&mut self, from: usize, to: usize, cap: i64, cost: f64) -> usize {
        let id = self.edges.len();
        self.edges.push(Edge { to, cap, cost });
        self.edges.push(Edge {
            to: from,
            cap: 0,
            cost: -cost,
        });
        self.adj[from].push(id);
        self.adj[to].push(id + 1);
        self.original.push(cap);
        self.original.push(0);
        id
    }
    fn flow(&self, e: usize) -> i64 {
        self.original[e] - self.edges[e].cap
    }
    /// Successive shortest paths with a queue-based Bellman-Ford (costs may be negative; the
    /// residual graph of a min-cost flow has no negative cycle).
    fn min_cost_flow(&mut self, s: usize, t: usize, want: i64) -> (i64, f64) {
        let n = self.adj.len();
        let (mut flow, mut cost) = (0i64, 0.0f64);
        let mut dist = vec![f64::INFINITY; n];
        let mut prev = vec![usize::MAX; n];
        let mut in_queue = vec![false; n];
        let mut queue = std::collections::VecDeque::new();
        while flow < want {
            dist.iter_mut().for_each(|d| *d = f64::INFINITY);
            dist[s] = 0.0;
            queue.push_back(s);
            while let Some(v) = queue.pop_front() {
                in_queue[v] = false;
                for &e in &self.adj[v] {
                    let ed = &self.edges[e];
                    if ed.cap > 0 && dist[v] + ed.cost < dist[ed.to] - 1e-9 {
                        dist[ed.to] = dist[v] + ed.cost;
                        prev[ed.to] = e;
                        if !in_queue[ed.to] {
                            in_queue[ed.to] = true;
                            queue.push_back(ed.to);
                        }
                    }
                }
            }
            if dist[t].is_infinite() {
                break;
            }
            let mut push = want - flow;
            let mut v = t;
            while v != s {
                let e = prev[v];
                push = push.min(self.edges[e].cap);
                v = self.edges[e ^ 1].to;
            }
            let mut v = t;
            while v != s {
                let e = prev[v];
                self.edges[e].cap -= push;
                self.edges[e ^ 1].cap += push;
                v = self.edges[e ^ 1].to;
            }
            flow += push;
            cost += push as f64 * dist[t];
        }
        (flow, cost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignment_matches_every_permutation_of_a_small_case() {
        // 4 units, classes 0 (2 places) and 1 (2 places); unit values by hand.
        let values = vec![
            vec![(0, 5.0), (1, 1.0)],
            vec![(0, 4.0), (1, 3.0)],
            vec![(0, 1.0)],
            vec![(0, 2.0), (1, 2.0)],
        ];
        let (best, class_of) = assign(&values, &[2, 2]).unwrap();
        // Unit 2 must take class 0; the other class-0 place goes where it gains most:
        // unit 0 (5 + 1 + 3 + 2 = 11) beats unit 1 (1 + 4 + 1 + 2 = 8) and unit 3 (1+3+1+2 = 7).
        assert_eq!(best, 11.0);
        assert_eq!(class_of, vec![0, 1, 0, 1]);
        assert!(assign(&values, &[3, 1]).is_some());
        // One class-0 place: unit 2 needs it, so 1 + 3 + 1 + 2.
        assert_eq!(assign(&values, &[1, 3]).unwrap().0, 7.0);
        assert!(
            assign(&values, &[0, 4]).is_none(),
            "unit 2 can only take class 0"
        );
        assert!(
            assign(&values, &[2, 1]).is_none(),
            "places must add up to the units"
        );
    }

    /// Every assignment of a small case, listed: the best total and whether any fills the counts.
    fn brute_force(values: &[Vec<(usize, f64)>], class_count: &[u32]) -> Option<f64> {
        let mut best: Option<f64> = None;
        let mut pick = vec![0usize; values.len()];
        loop {
            let mut load = vec![0u32; class_count.len()];
            let mut total = 0.0;
            for (u, &o) in pick.iter().enumerate() {
                load[values[u][o].0] += 1;
                total += values[u][o].1;
            }
            if load == class_count && best.is_none_or(|b| total > b) {
                best = Some(total);
            }
            // Next assignment (odometer over each unit's options).
            let mut u = 0;
            loop {
                if u == values.len() {
                    return best;
                }
                pick[u] += 1;
                if pick[u] < values[u].len() {
                    break;
                }
                pick[u] = 0;
                u += 1;
            }
        }
    }

    #[test]
    fn both_algorithms_match_every_assignment_of_random_small_cases() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2013);
        let (mut feasible, mut infeasible) = (0, 0);
        for _ in 0..3000 {
            let nc = rng.gen_range(1..=4usize);
            let units = rng.gen_range(1..=7usize);
            // Few distinct values, so ties (and identical units, grouped) are common.
            let mut values: Vec<Vec<(usize, f64)>> = vec![];
            for _ in 0..units {
                let mut opts = vec![];
                for k in 0..nc {
                    if rng.gen_bool(0.6) {
                        opts.push((k, f64::from(rng.gen_range(0..4u8))));
                    }
                }
                if opts.is_empty() {
                    opts.push((rng.gen_range(0..nc), 1.0));
                }
                values.push(opts);
            }
            let mut class_count = vec![0u32; nc];
            for _ in 0..units {
                class_count[rng.gen_range(0..nc)] += 1;
            }
            let truth = brute_force(&values, &class_count);
            let fast = assign(&values, &class_count);
            let groups: Vec<(Vec<(usize, f64)>, Vec<usize>)> = values
                .iter()
                .enumerate()
                .map(|(u, v)| (v.clone(), vec![u]))
                .collect();
            let slow = reference::assign_groups(&groups, units, &class_count);
            assert_eq!(
                fast.as_ref().map(|f| f.0),
                truth,
                "{values:?} {class_count:?}"
            );
            assert_eq!(
                slow.as_ref().map(|f| f.0),
                truth,
                "{values:?} {class_count:?}"
            );
            match fast {
                Some((total, class_of)) => {
                    feasible += 1;
                    // The assignment itself fills every class and is worth what it says.
                    let mut load = vec![0u32; nc];
                    let mut sum = 0.0;
                    for (u, &k) in class_of.iter().enumerate() {
                        load[k] += 1;
                        sum += values[u].iter().find(|o| o.0 == k).expect("an option").1;
                    }
                    assert_eq!(load, class_count);
                    assert_eq!(sum, total);
                }
                None => infeasible += 1,
            }
        }
        assert!(
            feasible > 1000 && infeasible > 100,
            "{feasible} {infeasible}"
        );
    }
}

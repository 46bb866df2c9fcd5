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

struct Edge {
    to: usize,
    cap: i64,
    cost: f64,
}

struct Graph {
    edges: Vec<Edge>,
    adj: Vec<Vec<usize>>,
    original: Vec<i64>,
}

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
}

//! The optimal tier sizes for a histogram of request lengths.
//!
//! # The problem
//! Given requests of lengths `l₁ … lₙ` and a budget of `k` tiers, choose sizes
//! `s₁ < … < sₘ` (`m ≤ k`) so that every request fits (`sₘ = max lᵢ`) and the waste
//! `Σ (smallest sᵢ ≥ l) − l` is minimal. Some optimal answer uses only sizes that are requested
//! lengths (lowering a size to the largest length it serves wastes less), so the candidates are
//! the `d` distinct lengths. With the distinct lengths `v₀ < … < v_{d−1}`, their counts and
//! prefix counts `P`, serving `vᵢ ..= vⱼ` with the size `vⱼ` costs `vⱼ·(P[j+1] − P[i])`, and
//!
//! `best[m][j] = min over i < j of best[m−1][i] + vⱼ·(P[j+1] − P[i+1])`
//!
//! is the cheapest way to serve `v₀ ..= vⱼ` with `m` sizes, the largest being `vⱼ`. The cost
//! satisfies the quadrangle inequality (`w(a,c) + w(b,d) ≤ w(a,d) + w(b,c)` because
//! `(v_d − v_c)·(P_b − P_a) ≥ 0`), so the best `i` is monotone in `j` and each layer is
//! computed by divide and conquer: `O(k·d·log d)` time and `O(k·d)` memory for the choices
//! (the plain `O(k·d²)` recurrence is kept in the unit tests as the reference).

/// The waste-minimising sizes among `candidates` (distinct ascending values with counts), at
/// most `max_tiers` of them, always including the largest value.
pub(super) fn optimal_sizes(candidates: &[(usize, u64)], max_tiers: usize) -> Vec<usize> {
    let d = candidates.len();
    let k = max_tiers.min(d);
    if k == 0 {
        return Vec::new();
    }
    if k == d {
        return candidates.iter().map(|&(v, _)| v).collect();
    }
    // prefix[j] = requests with one of the first j values.
    let mut prefix = Vec::with_capacity(d + 1);
    prefix.push(0u128);
    for &(_, count) in candidates {
        prefix.push(prefix[prefix.len() - 1] + count as u128);
    }
    let value = |j: usize| candidates[j].0 as u128;
    // Layer 1: one size, the largest value so far, serves everything up to it.
    let mut prev: Vec<u128> = (0..d).map(|j| value(j) * prefix[j + 1]).collect();
    let mut cur = vec![u128::MAX; d];
    // choice[m - 2][j]: the last value served by the smaller sizes when `m` sizes serve
    // `0..=j` and the largest is value `j`.
    let mut choice: Vec<Vec<usize>> = Vec::with_capacity(k - 1);
    for m in 2..=k {
        let mut arg = vec![0; d];
        cur.fill(u128::MAX);
        let layer = Layer {
            prev: &prev,
            prefix: &prefix,
            candidates,
        };
        // `m` sizes need at least `m` values: j >= m - 1, and i >= m - 2 for the others.
        layer.solve(&mut cur, &mut arg, m - 1, d - 1, m - 2, d - 2);
        choice.push(arg);
        std::mem::swap(&mut prev, &mut cur);
    }
    // Walk the choices back from the largest value.
    let mut sizes = Vec::with_capacity(k);
    let mut j = d - 1;
    sizes.push(candidates[j].0);
    for m in (2..=k).rev() {
        j = choice[m - 2][j];
        sizes.push(candidates[j].0);
    }
    sizes.reverse();
    sizes
}

/// One layer of the recurrence: `cur[j] = min over i < j of prev[i] + cost(i + 1 ..= j)`.
struct Layer<'a> {
    prev: &'a [u128],
    prefix: &'a [u128],
    candidates: &'a [(usize, u64)],
}

impl Layer<'_> {
    /// Fills `cur[lo..=hi]` knowing that the leftmost best `i` for those `j` lies in
    /// `opt_lo..=opt_hi` (the quadrangle inequality makes it nondecreasing in `j`).
    fn solve(
        &self,
        cur: &mut [u128],
        arg: &mut [usize],
        lo: usize,
        hi: usize,
        opt_lo: usize,
        opt_hi: usize,
    ) {
        if lo > hi {
            return;
        }
        let mid = lo + (hi - lo) / 2;
        let top = opt_hi.min(mid - 1);
        let value = self.candidates[mid].0 as u128;
        let mut best = (u128::MAX, opt_lo);
        for i in opt_lo..=top {
            let cost = self.prev[i] + value * (self.prefix[mid + 1] - self.prefix[i + 1]);
            if cost < best.0 {
                best = (cost, i);
            }
        }
        cur[mid] = best.0;
        arg[mid] = best.1;
        if mid > lo {
            self.solve(cur, arg, lo, mid - 1, opt_lo, best.1);
        }
        self.solve(cur, arg, mid + 1, hi, best.1, opt_hi);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain `O(k·d²)` recurrence: the reference the divide and conquer must match.
    fn reference_cost(candidates: &[(usize, u64)], max_tiers: usize) -> u128 {
        let d = candidates.len();
        let k = max_tiers.min(d);
        if k == 0 {
            return 0;
        }
        let mut prefix = vec![0u128];
        for &(_, c) in candidates {
            prefix.push(prefix[prefix.len() - 1] + c as u128);
        }
        let v = |j: usize| candidates[j].0 as u128;
        let mut best: Vec<u128> = (0..d).map(|j| v(j) * prefix[j + 1]).collect();
        for _ in 2..=k {
            let mut next = vec![u128::MAX; d];
            for j in 0..d {
                for i in 0..j {
                    if best[i] != u128::MAX {
                        next[j] = next[j].min(best[i] + v(j) * (prefix[j + 1] - prefix[i + 1]));
                    }
                }
            }
            best = next;
        }
        best[d - 1]
    }

    fn cost_of(candidates: &[(usize, u64)], sizes: &[usize]) -> u128 {
        candidates
            .iter()
            .map(|&(v, c)| sizes[sizes.partition_point(|&s| s < v)] as u128 * c as u128)
            .sum()
    }

    #[test]
    fn divide_and_conquer_matches_the_plain_recurrence() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        // The plain recurrence is O(k·d²): small inputs keep Miri's run short.
        let (rounds, most) = if cfg!(miri) { (3, 12) } else { (300, 40) };
        for round in 0..rounds {
            let d = 1 + (next() % most) as usize;
            let mut values: Vec<usize> = (0..d).map(|_| 1 + (next() % 5000) as usize).collect();
            values.sort_unstable();
            values.dedup();
            let candidates: Vec<(usize, u64)> =
                values.iter().map(|&v| (v, 1 + next() % 9)).collect();
            for k in 1..=candidates.len() + 1 {
                let sizes = optimal_sizes(&candidates, k);
                assert!(sizes.len() <= k, "round {round}");
                assert_eq!(sizes.last(), candidates.last().map(|c| &c.0));
                assert!(sizes.windows(2).all(|w| w[0] < w[1]));
                assert_eq!(
                    cost_of(&candidates, &sizes),
                    reference_cost(&candidates, k),
                    "round {round}, k {k}, candidates {candidates:?}"
                );
            }
        }
    }
}

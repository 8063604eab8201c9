//! The linear system that secondary suppression and the audit work on: cells (each a
//! published number, with the persons behind it and whether it is primary-suppressed)
//! and the exact linear relations an attacker knows between them (Σ parts − total = a
//! known constant).

/// What a cell measures, for the protection margin the audit requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A count of persons (or of their accompaniments).
    Count,
    /// An amount summed over persons (days, ETP).
    Amount,
}

#[derive(Debug, Clone)]
pub struct Cell {
    pub value: f64,
    /// Persons behind the figure (the frequency rule applies to it); orders candidates.
    pub freq: f64,
    pub kind: Kind,
    pub primary: bool,
    /// Already known to the reader (a service's total under `diffusion = "autorite"`):
    /// never primary, and the first candidate to keep published.
    pub known: bool,
}

/// Cells and relations. A relation Σ cⱼ·xⱼ = b holds with b computed from the cell
/// values (so non-additive counts, such as distinct persons over perimeters, are
/// modelled as an attacker who knows the overlap: the cautious assumption).
#[derive(Debug, Clone, Default)]
pub struct System {
    pub cells: Vec<Cell>,
    /// Sparse integer rows, sorted by cell.
    pub relations: Vec<Vec<(usize, i64)>>,
}

impl System {
    /// Right-hand side of a relation from the true values.
    pub fn rhs(&self, r: &[(usize, i64)]) -> f64 {
        r.iter().map(|&(j, c)| c as f64 * self.cells[j].value).sum()
    }

    /// Candidates for publication, the ones to keep most first: cells the reader already
    /// knows, zeros (a suppressed zero widens no attacker interval: x ≥ 0 already says it
    /// all), then most persons,
    /// then the cell used in most relations (totals before their parts), then input
    /// order.
    pub fn candidate_order(&self) -> Vec<usize> {
        let mut uses = vec![0usize; self.cells.len()];
        for r in &self.relations {
            for &(j, _) in r {
                uses[j] += 1;
            }
        }
        let mut order: Vec<usize> = (0..self.cells.len())
            .filter(|&j| !self.cells[j].primary)
            .collect();
        let zero = |j: usize| self.cells[j].value == 0.0;
        let known = |j: usize| self.cells[j].known;
        order.sort_by(|&a, &b| {
            known(b)
                .cmp(&known(a))
                .then(zero(b).cmp(&zero(a)))
                .then(self.cells[b].freq.total_cmp(&self.cells[a].freq))
                .then(uses[b].cmp(&uses[a]))
                .then(a.cmp(&b))
        });
        order
    }
}

/// A connected component of the relation graph (cells linked by a relation), as a
/// system of its own: `cells[k]` is the cell of the whole system that is cell `k` of
/// `system`. Cells keep their order, so every order-dependent choice (candidates,
/// pivots, components of suppressed cells) is the same in the part as in the whole.
pub struct Part {
    pub cells: Vec<usize>,
    pub system: System,
}

impl System {
    /// The independent parts of the system: what the attacker knows about one part says
    /// nothing about another (no relation crosses them), so suppression and audit can
    /// run on each alone, in parallel, with the same result as on the whole. Largest
    /// first (they take longest).
    pub fn parts(&self) -> Vec<Part> {
        let n = self.cells.len();
        let mut parent: Vec<usize> = (0..n).collect();
        fn find(p: &mut [usize], mut x: usize) -> usize {
            while p[x] != x {
                p[x] = p[p[x]];
                x = p[x];
            }
            x
        }
        for r in &self.relations {
            for w in r.windows(2) {
                let (a, b) = (find(&mut parent, w[0].0), find(&mut parent, w[1].0));
                if a != b {
                    parent[a.max(b)] = a.min(b);
                }
            }
        }
        // Root → part number, in order of first cell.
        let mut part_of = vec![usize::MAX; n];
        let mut parts: Vec<Part> = Vec::new();
        let mut local = Vec::with_capacity(n);
        for j in 0..n {
            let root = find(&mut parent, j);
            if part_of[root] == usize::MAX {
                part_of[root] = parts.len();
                parts.push(Part {
                    cells: Vec::new(),
                    system: System::default(),
                });
            }
            let p = &mut parts[part_of[root]];
            local.push(p.cells.len());
            p.cells.push(j);
            p.system.cells.push(self.cells[j].clone());
        }
        for r in &self.relations {
            let Some(&(first, _)) = r.first() else {
                continue;
            };
            let p = part_of[find(&mut parent, first)];
            parts[p]
                .system
                .relations
                .push(r.iter().map(|&(j, c)| (local[j], c)).collect());
        }
        parts.sort_by_key(|p| std::cmp::Reverse(p.cells.len()));
        parts
    }
}

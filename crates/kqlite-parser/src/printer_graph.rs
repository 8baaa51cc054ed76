//! Printing the graph operators and their patterns.

use super::*;

pub(super) fn make_graph(f: &mut Formatter<'_>, g: &MakeGraph) -> R {
    write!(f, "make-graph {} --> {}", g.source, g.target)?;
    for (i, (table, key)) in g.nodes.iter().enumerate() {
        f.write_str(if i == 0 { " with " } else { ", " })?;
        f.write_str("(")?;
        expr_at(f, table, PIPE)?;
        write!(f, ") on {key}")?;
    }
    write_params(f, &g.params)?;
    if let Some((column, body)) = &g.partitioned_by {
        write!(f, " partitioned-by {column} {body}")?;
    }
    Ok(())
}

pub(super) fn graph_match(f: &mut Formatter<'_>, g: &GraphMatch) -> R {
    f.write_str(if g.shortest {
        "graph-shortest-paths"
    } else {
        "graph-match"
    })?;
    write_params(f, &g.params)?;
    f.write_str(" ")?;
    write_list(f, &g.pattern, ", ")?;
    if let Some(p) = &g.predicate {
        f.write_str(" where ")?;
        expr_at(f, p, OR)?;
    }
    if !g.project.is_empty() {
        f.write_str(" project ")?;
        write_list(f, &g.project, ", ")?;
    }
    Ok(())
}

impl Display for GraphNodePattern {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        match &self.name {
            Some(n) => write!(f, "({n})"),
            None => f.write_str("()"),
        }
    }
}

impl Display for GraphEdgePattern {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        if self.name.is_none() && self.range.is_none() {
            return f.write_str(match self.direction {
                EdgeDirection::Right => "-->",
                EdgeDirection::Left => "<--",
                EdgeDirection::Any => "--",
            });
        }
        f.write_str(if self.direction == EdgeDirection::Left {
            "<-["
        } else {
            "-["
        })?;
        if let Some(n) = &self.name {
            write!(f, "{n}")?;
        }
        if let Some((min, max)) = self.range {
            write!(f, "*{min}..{max}")?;
        }
        f.write_str(if self.direction == EdgeDirection::Right {
            "]->"
        } else {
            "]-"
        })
    }
}

impl Display for GraphPath {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        write!(f, "{}", self.first)?;
        for (edge, node) in &self.steps {
            write!(f, "{edge}{node}")?;
        }
        Ok(())
    }
}

impl Display for GraphToTableItem {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        write!(f, "{}", self.kind)?;
        if let Some(a) = &self.alias {
            write!(f, " as {a}")?;
        }
        write_params(f, &self.params)
    }
}

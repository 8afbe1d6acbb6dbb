//! The columns a plan node emits: names as the user sees them, Flink types, time attributes, and
//! the Arrow and DataFusion schemas expressions are planned against.

use std::sync::Arc;

use arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion_common::{DFSchema, TableReference};

use crate::error::Result;
use crate::types::Typed;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeAttribute {
    Rowtime,
    Proctime,
}

#[derive(Clone, Debug)]
pub struct PlanColumn {
    pub name: String,
    /// The table or alias the column can be qualified with (`o.user_id`).
    pub qualifier: Option<String>,
    pub ty: Typed,
    pub time: Option<TimeAttribute>,
}

#[derive(Clone, Debug, Default)]
pub struct PlanSchema {
    pub columns: Vec<PlanColumn>,
}

impl PlanSchema {
    pub fn arrow(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.columns.iter().map(|c| Field::new(&c.name, c.ty.ty.to_arrow(), c.ty.nullable)).collect::<Vec<_>>(),
        ))
    }

    /// The DataFusion schema, each column with its qualifier (so `o.x` and `x` both resolve).
    pub fn df(&self) -> Result<DFSchema> {
        let fields = self
            .columns
            .iter()
            .map(|c| {
                (
                    c.qualifier.as_ref().map(|q| TableReference::bare(q.clone())),
                    Arc::new(Field::new(&c.name, c.ty.ty.to_arrow(), c.ty.nullable)),
                )
            })
            .collect::<Vec<_>>();
        Ok(DFSchema::new_with_metadata(fields, Default::default())?)
    }

    pub fn with_qualifier(mut self, qualifier: &str) -> Self {
        for c in &mut self.columns {
            c.qualifier = Some(qualifier.to_string());
        }
        self
    }

    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    pub fn names(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.name.clone()).collect()
    }

    /// The rowtime attribute, if the rows carry one.
    pub fn rowtime(&self) -> Option<usize> {
        self.columns.iter().position(|c| c.time == Some(TimeAttribute::Rowtime))
    }

    /// Type as DESCRIBE and the tableau header show it: `TIMESTAMP(3) *ROWTIME*`.
    pub fn shown_type(c: &PlanColumn) -> String {
        match c.time {
            Some(TimeAttribute::Rowtime) => format!("{} *ROWTIME*", c.ty),
            Some(TimeAttribute::Proctime) => format!("{} *PROCTIME*", c.ty),
            None => c.ty.to_string(),
        }
    }
}

"""The Whoosh engine: schema and analysis (`schema`), queries (`query`),
ranking (`rank`), guarded imports of Whoosh itself (`imports`) and the
engine the keeper drives (`engine`). The only modules that import Whoosh."""

"""validate: measured drift held against the derived bounds; tables, figures, the `collapse` CLI."""

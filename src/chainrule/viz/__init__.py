"""Plots drawn with matplotlib's object-oriented API (no pyplot, no global state): each takes plain
arrays, computes nothing of the model, and saves its file atomically; and the recorded graph behind
a tensor, drawn (graph)."""
from chainrule.viz.backprop_cost import backprop_cost_figure, plot_backprop_cost
from chainrule.viz.curvefit import (Panel, error_curves, error_curves_figure, fit_panels,
                                    fit_panels_figure, predictive_band, predictive_band_figure)
from chainrule.viz.figure import save_figure
from chainrule.viz.graph import Graph, graph
from chainrule.viz.history import history_figure, plot_history

__all__ = ["Graph", "Panel", "backprop_cost_figure", "error_curves", "error_curves_figure",
           "fit_panels", "fit_panels_figure", "graph", "history_figure", "plot_backprop_cost",
           "plot_history", "predictive_band", "predictive_band_figure", "save_figure"]

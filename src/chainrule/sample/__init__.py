"""Samplers that draw parameters from a posterior instead of optimizing them: Hamiltonian Monte
Carlo (Neal 2011) and stochastic-gradient Langevin dynamics (Welling & Teh 2011)."""
from chainrule.sample._common import Samples
from chainrule.sample.hmc import hmc
from chainrule.sample.sgld import sgld

__all__ = ["Samples", "hmc", "sgld"]

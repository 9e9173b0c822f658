"""Neural-network building blocks: Module and Parameter, layers, losses, init, functional."""
from chainrule.nn import functional, init
from chainrule.nn.container import ModuleDict, ModuleList, Sequential
from chainrule.nn.linear import Flatten, Identity, Linear
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter

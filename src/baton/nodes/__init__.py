"""One module per node. Each node is ``fn(state, ctx) -> Command | dict``; the graph's guard
enforces the transition table around it. The nodes read ``baton.state`` and never import
``baton.graph``; which of them make the default graph, in which plan order, is the registry's
say (``baton.graph.registry.SPECIALISTS``). ``summarize`` is an optional specialist, outside
the registry (see its module)."""

from baton.nodes.analyze import analyze
from baton.nodes.finish import finish
from baton.nodes.research import research
from baton.nodes.review import review
from baton.nodes.supervise import supervise
from baton.nodes.verify import verify
from baton.nodes.write import write

NODES = {
    "supervise": supervise,
    "research": research,
    "analyze": analyze,
    "verify": verify,
    "write": write,
    "review": review,
    "finish": finish,
}

__all__ = ["NODES", "analyze", "finish", "research", "review", "supervise", "verify", "write"]

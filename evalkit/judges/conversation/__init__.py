"""Built-in conversation judges: session-level, each scores a whole conversation once.

In the spirit of MLflow 3's session judges; each is one class in its own module with its
prompt file beside it (``<module>.jinja``), and sees the conversation as ``User:`` /
``Assistant:`` turns (:func:`evalkit.judges.views.conversation_view`):

* :class:`ConversationCompleteness` -- were all the user's requests addressed?
* :class:`UserFrustration` -- was the user frustrated, and was it resolved?
  (``"none"``, ``"resolved"``, ``"unresolved"``)
* :class:`KnowledgeRetention` -- does the assistant keep what the user said earlier?
* :class:`RoleAdherence` -- does the assistant stay in its role?

Pass them to :func:`evalkit.evaluate` with records (or traces) that share session ids.
"""

from evalkit.judges.conversation.completeness import ConversationCompleteness
from evalkit.judges.conversation.knowledge_retention import KnowledgeRetention
from evalkit.judges.conversation.role_adherence import RoleAdherence
from evalkit.judges.conversation.user_frustration import UserFrustration

__all__ = [
    "ConversationCompleteness",
    "KnowledgeRetention",
    "RoleAdherence",
    "UserFrustration",
]

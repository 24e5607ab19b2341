"""Finding token mentions: the backends, the token registry, the resolver and the tagger's inference.

No model hub at run time: the switches below are set before anything under :mod:`model` can import
``transformers`` or ``huggingface_hub``, which read them once, at import.
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

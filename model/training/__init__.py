"""Everything that makes the tagger: corpus access, training data, alignment, the training loop, the model card.

Serving (:mod:`model` outside this package) never imports it; only the ``tickertape train`` entry point does.
"""

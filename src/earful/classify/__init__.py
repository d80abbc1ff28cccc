"""Classify posts: the taxonomy they are sorted into, and (to come) the models that sort them."""

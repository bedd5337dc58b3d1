"""The detector: mmdetection Mask R-CNN with a Swin Transformer backbone.

Import cost is high (torch, mmdet): import submodules where needed, not at package level.
"""

"""The detector: mmdetection Mask R-CNN with a Swin Transformer backbone.

Import cost is high (torch, mmdet): import submodules where needed, not at package level.
"""

#: the model's name: in the ZenML Model Control Plane, and in every serving response
MODEL_NAME = "alpr-detector"

# The GPU model: standard Swin-T widths (embed 96, depths 2-2-6-2, FPN 256) as in base.py,
# with a larger batch. Schedule and learning rate come from the training parameters.
_base_ = ['./base.py']

train_dataloader = dict(batch_size=8, num_workers=4)

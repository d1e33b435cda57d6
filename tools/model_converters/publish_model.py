"""Strip a training checkpoint to weights and plain meta, loadable with ``weights_only=True``.

    python tools/model_converters/publish_model.py work_dirs/x/epoch_100.pth checkpoints/x.pth

writes ``checkpoints/x-<sha256[:8]>.pth``: no optimizer, message hub or other pickled objects,
so torch's safe loading reads it (and downstream configs can load it as a pretrained backbone).
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import torch  # noqa: E402

from mmebv.engine.safe_loading import CheckpointError, load_checkpoint_file  # noqa: E402
from mmebv.utils.publishing import publish  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('in_file', help='a training checkpoint (mmengine Runner output)')
    parser.add_argument('out_file', help='where to write it; its hash is added to the name')
    args = parser.parse_args()
    try:  # full Runner checkpoints with safe loading still on; crafted or damaged files are refused
        checkpoint = load_checkpoint_file(args.in_file, map_location='cpu')
    except CheckpointError as error:
        sys.exit(f'error: {error}')
    if osp.dirname(args.out_file):
        os.makedirs(osp.dirname(args.out_file), exist_ok=True)
    final, sha256 = publish(checkpoint, args.out_file)
    torch.load(final, map_location='cpu', weights_only=True)  # what users will do
    print(f'published {final} (sha256 {sha256})')


if __name__ == '__main__':
    main()

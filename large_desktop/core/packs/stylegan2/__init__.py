"""StyleGAN2 packs: aligned FFHQ-style crops → W+ codes [N, n_styles, 512].

`encoders` rebuilds the IR-SE50 encoders of the public e4e, pSp and ReStyle
checkpoints, `checkpoint` verifies such a file and converts its encoder to
safetensors, and `pack` loads the converted encoder for the indexer.
`generator` is the rosinality-layout StyleGAN2 generator (`ops` contains its
layers), loaded only for previews and walks along a direction.
"""

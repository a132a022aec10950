"""StyleGAN2 packs: e4e / pSp / ReStyle encoders and the rosinality-layout generator."""

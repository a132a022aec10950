"""GAN pack on the 64×64 DCGAN face generator of the `gan-face-generate` wheel.

`generator` rebuilds the network so its weights load without pickled code,
`encoder` maps a face to the generator's z, `inversion` refines that z by
gradient descent, and `pack` ties them to a manifest.
"""

namespace GenDsl.Models.Tests.ConvNets;

/// <summary>The reference networks of the declarations in TestConvNets.cs, layer by layer (implied heads written out).</summary>
internal static class RefConvModels
{
    public static RefConvVae Of(ConvBernoulliVae m) => new(
        new RefNetwork(m, new RefShape(1, 6, 6))
            .Conv("E1", 3, 3, 1, 1, Activation.Relu)
            .Conv("E2", 4, 4, 2, 1, Activation.LeakyRelu)
            .Flatten()
            .Dense("encoder.head", 6, Activation.Identity),
        new RefNetwork(m, RefShape.Vector(3))
            .Dense("D1", 18, Activation.Relu)
            .Unflatten(2, 3, 3)
            .ConvTranspose("D3", 3, 4, 2, 1, 0, Activation.Softplus)
            .ConvTranspose("D4", 1, 1, 1, 0, 0, Activation.Identity),
        features: 36, latent: 3, pixels: 36, Likelihood.Bernoulli);

    public static RefConvVae Of(ConvGaussianVae m) => new(
        new RefNetwork(m, new RefShape(2, 5, 5))
            .Conv("E1", 3, 3, 2, 1, Activation.Identity)
            .BatchNorm("E2", Activation.Relu)
            .Conv("E3", 4, 2, 1, 0, Activation.Tanh)
            .Dense("encoder.head", 4, Activation.Identity),
        new RefNetwork(m, RefShape.Vector(2))
            .Dense("D1", 12, Activation.Tanh)
            .Unflatten(3, 2, 2)
            .ConvTranspose("D3", 4, 2, 2, 0, 1, Activation.Identity),
        features: 50, latent: 2, pixels: 25, Likelihood.Gaussian);

    public static RefConvVae Of(ConvDenseHeadVae m) => new(
        new RefNetwork(m, new RefShape(1, 6, 6))
            .Conv("E1", 2, 4, 1, 2, Activation.Sigmoid)
            .Conv("E2", 2, 3, 2, 0, Activation.Relu)
            .Dense("E3", 5, Activation.Relu)
            .Dense("encoder.head", 4, Activation.Identity),
        new RefNetwork(m, RefShape.Vector(2))
            .Dense("D1", 8, Activation.Relu)
            .Unflatten(2, 2, 2)
            .ConvTranspose("D3", 2, 2, 3, 0, 2, Activation.LeakyRelu)
            .Flatten()
            .Dense("D5", 7, Activation.Tanh)
            .Dense("decoder.head", 36, Activation.Identity),
        features: 36, latent: 2, pixels: 36, Likelihood.GaussianFixed, beta: 0.7, sigma: 0.5);

    public static RefConvVae Of(ConvCvae m) => new(
        new RefNetwork(m, new RefShape(3, 5, 5))
            .Conv("E1", 3, 3, 1, 0, Activation.Relu)
            .Dense("encoder.head", 4, Activation.Identity),
        new RefNetwork(m, RefShape.Vector(4))
            .Dense("D1", 27, Activation.LeakyRelu)
            .Unflatten(3, 3, 3)
            .ConvTranspose("D3", 1, 3, 1, 0, 0, Activation.Identity),
        features: 25, latent: 2, pixels: 25, Likelihood.Bernoulli);

    public static RefConvVae Of(ImageConditionCvae m) => new(
        new RefNetwork(m, new RefShape(2, 5, 5))
            .Conv("E1", 3, 3, 1, 0, Activation.Relu)
            .Dense("encoder.head", 4, Activation.Identity),
        new RefNetwork(m, RefShape.Vector(11))
            .Dense("D1", 27, Activation.LeakyRelu)
            .Unflatten(3, 3, 3)
            .ConvTranspose("D3", 1, 3, 1, 0, 0, Activation.Identity),
        features: 25, latent: 2, pixels: 25, Likelihood.Bernoulli) { ConditionImage = new RefConditionImage(1, 3, 3, 5, 5) };

    public static RefConvGan Of(ImageConditionCgan m) => new(
        new RefNetwork(m, RefShape.Vector(19))
            .Dense("G1", 8, Activation.Relu)
            .Dense("generator.head", 16, Activation.Sigmoid),
        new RefNetwork(m, new RefShape(3, 4, 4))
            .Conv("D1", 3, 2, 2, 0, Activation.LeakyRelu)
            .Dense("D2", 4, Activation.Tanh)
            .Dense("discriminator.head", 1, Activation.Identity),
        features: 16, pixels: 16, GanLoss.NonSaturating) { ConditionImage = new RefConditionImage(2, 2, 4, 4, 4) };

    public static RefConvGan Of(ConvBnGan m) => new(
        new RefNetwork(m, RefShape.Vector(4))
            .Dense("G1", 18, Activation.Identity)
            .BatchNorm("G2", Activation.Relu)
            .Unflatten(2, 3, 3)
            .ConvTranspose("G4", 3, 4, 2, 1, 0, Activation.Identity)
            .BatchNorm("G5", Activation.LeakyRelu)
            .Conv("G6", 1, 3, 1, 1, Activation.Tanh),
        new RefNetwork(m, new RefShape(1, 6, 6))
            .Conv("D1", 3, 4, 2, 1, Activation.Identity)
            .BatchNorm("D2", Activation.LeakyRelu)
            .Conv("D3", 2, 2, 1, 0, Activation.LeakyRelu)
            .Flatten()
            .Dense("discriminator.head", 1, Activation.Identity),
        features: 36, pixels: 36, GanLoss.NonSaturating);

    public static RefConvGan Of(ConvCgan m) => new(
        new RefNetwork(m, RefShape.Vector(5))
            .Dense("G1", 8, Activation.Relu)
            .Unflatten(2, 2, 2)
            .ConvTranspose("G3", 2, 2, 1, 0, 0, Activation.Tanh)
            .Flatten()
            .Dense("generator.head", 25, Activation.Sigmoid),
        new RefNetwork(m, new RefShape(3, 5, 5))
            .Conv("D1", 4, 3, 2, 1, Activation.LeakyRelu)
            .Dense("D2", 5, Activation.Softplus)
            .Dense("discriminator.head", 1, Activation.Identity),
        features: 25, pixels: 25, GanLoss.Minimax);

    public static RefConvGan Of(ConvHingeGan m) => new(
        new RefNetwork(m, RefShape.Vector(3))
            .Dense("G1", 12, Activation.Relu)
            .Unflatten(3, 2, 2)
            .ConvTranspose("G3", 1, 2, 2, 0, 1, Activation.Sigmoid),
        new RefNetwork(m, new RefShape(1, 5, 5))
            .Conv("D1", 2, 2, 1, 0, Activation.Relu)
            .BatchNorm("D2", Activation.Identity)
            .Conv("D3", 3, 2, 2, 0, Activation.LeakyRelu)
            .Dense("discriminator.head", 1, Activation.Identity),
        features: 25, pixels: 25, GanLoss.Hinge);

    public static RefConvGan Of(FashionDcgan m) => new(
        new RefNetwork(m, RefShape.Vector(64))
            .Dense("G1", 128 * 7 * 7, Activation.Identity)
            .BatchNorm("G2", Activation.Relu)
            .Unflatten(128, 7, 7)
            .ConvTranspose("G4", 64, 4, 2, 1, 0, Activation.Identity)
            .BatchNorm("G5", Activation.Relu)
            .ConvTranspose("G6", 1, 4, 2, 1, 0, Activation.Sigmoid),
        new RefNetwork(m, new RefShape(1, 28, 28))
            .Conv("D1", 64, 4, 2, 1, Activation.LeakyRelu)
            .Conv("D2", 128, 4, 2, 1, Activation.LeakyRelu)
            .Dense("discriminator.head", 1, Activation.Identity),
        features: 784, pixels: 784, GanLoss.NonSaturating);

    public static RefConvVae Of(FashionConvCvae m) => new(
        new RefNetwork(m, new RefShape(1 + 10, 28, 28))
            .Conv("E1", 32, 4, 2, 1, Activation.Relu)
            .Conv("E2", 64, 4, 2, 1, Activation.Relu)
            .Dense("encoder.head", 32, Activation.Identity),
        new RefNetwork(m, RefShape.Vector(16 + 10))
            .Dense("D1", 64 * 7 * 7, Activation.Relu)
            .Unflatten(64, 7, 7)
            .ConvTranspose("D3", 32, 4, 2, 1, 0, Activation.Relu)
            .ConvTranspose("D4", 1, 4, 2, 1, 0, Activation.Identity),
        features: 784, latent: 16, pixels: 784, Likelihood.Bernoulli);

    public static RefConvGan Of(ConvEdgeBnCgan m) => new(
        new RefNetwork(m, RefShape.Vector(3))
            .Dense("G1", 4, Activation.Tanh)
            .Unflatten(1, 2, 2)
            .ConvTranspose("G3", 2, 3, 1, 0, 0, Activation.Relu)
            .BatchNorm("G4", Activation.Sigmoid)
            .Dense("generator.head", 16, Activation.Identity),
        new RefNetwork(m, new RefShape(2, 4, 4))
            .BatchNorm("D1", Activation.LeakyRelu)
            .Conv("D2", 2, 3, 1, 0, Activation.Relu)
            .Dense("discriminator.head", 1, Activation.Identity),
        features: 16, pixels: 16, GanLoss.NonSaturating);
}

using CommunityToolkit.HighPerformance;

// Models declared in namespaces whose last part is the name of a GenDsl layer type: in "….Conv", the simple
// name "Conv" means the namespace, so the generated code must name GenDsl's types in full (global::GenDsl.Conv).
// Before that fix this file did not compile (CS0118: 'Conv' is a namespace but is used like a type).
namespace GenDsl.Models.Tests.Robustness.Conv
{
    [Gan(Channels = 1, Height = 8, Width = 8, Noise = 4)]
    public sealed partial class TinyConvGan
    {
        [Generator, Dense(2 * 4 * 4, Activation.Relu)] public partial GenDsl.Dense G1 { get; }
        [Generator, Unflatten(2, 4, 4)] public partial GenDsl.Reshape G2 { get; }
        [Generator, ConvTranspose(1, 4, Stride = 2, Padding = 1, Activation = Activation.Sigmoid)] public partial GenDsl.Conv G3 { get; }
        [Discriminator, Conv(4, 4, Stride = 2, Padding = 1, Activation = Activation.LeakyRelu)] public partial GenDsl.Conv D1 { get; }
        [Discriminator, BatchNorm] public partial GenDsl.BatchNorm D2 { get; }
    }
}

namespace GenDsl.Models.Tests.Robustness.Coupling
{
    [Flow(Features = 2)]
    public sealed partial class TinyFlow
    {
        [ActNorm] public partial GenDsl.ActNorm N { get; }
        [AffineCoupling(Mask.Alternating, Hidden = 8)] public partial GenDsl.Coupling C1 { get; }
        [Permute(PermutationKind.Reverse)] public partial GenDsl.Permutation P { get; }
        [InvertibleLinear] public partial GenDsl.InvertibleLinear L { get; }
    }
}

namespace GenDsl.Models.Tests.Robustness
{
    public class LayerNamedNamespaceTests
    {
        [Fact]
        public void ModelsInNamespacesNamedLikeLayerTypesCompileAndRun()
        {
            var gan = new Conv.TinyConvGan(new ModelOptions { MaxBatch = 4, Seed = 1 });
            var images = new float[4, 64];
            gan.Sample(new Span2D<float>(images), new Rng(2));
            Assert.All(images.Cast<float>(), v => Assert.InRange(v, 0f, 1f));
            Assert.Equal(new[] { 2, 1, 4, 4 }, gan.G3.WeightShape.ToArray()); // PyTorch's ConvTranspose2d layout: [in, out, kh, kw]

            var flow = new Coupling.TinyFlow(new ModelOptions { MaxBatch = 4, Seed = 1 });
            var logp = new float[4];
            flow.LogProb(new ReadOnlySpan2D<float>(new float[4, 2]), logp);
            Assert.All(logp, v => Assert.True(float.IsFinite(v)));
        }
    }
}

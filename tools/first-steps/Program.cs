using System.Security.Cryptography;
using CommunityToolkit.HighPerformance;
using GenDsl;
using GenDsl.Data;
using GenDsl.Models;

// The ready-made models' first 100 training steps, as bits: a hash of every step's losses (for the VAEs the loss and
// its KL part; for the GANs both players' losses) and of the parameters after the last step, with the first and last
// values. Run it on two checkouts and compare the lines: the catalogue redesign (issue #12) had to leave them unchanged.
//   dotnet run -c Release --project tools/first-steps -p:Repo=/path/to/checkout
// (Repo defaults to this repository.) Fixed seeds, fixed data order (Toy2D, the shipped digits and MNIST subsets).
static string Hash(IEnumerable<float> values)
{
    var bytes = values.SelectMany(BitConverter.GetBytes).ToArray();
    return Convert.ToHexString(SHA256.HashData(bytes))[..16];
}
static float[,] Rows(Dataset d, int start, int n)
{
    var a = new float[n, d.Columns];
    d.GetRows(start % (d.Rows - n), n).CopyTo(new Span2D<float>(a));
    return a;
}
static float[,] OneHot(Dataset d, int start, int n, int classes)
{
    var a = new float[n, classes];
    for (int i = 0; i < n; i++) a[i, d.Labels[(start % (d.Rows - n)) + i]] = 1;
    return a;
}
static float[,] MoonLabels(int n, int start)
{
    var a = new float[n, 2];
    for (int i = 0; i < n; i++) a[i, (start + i) % 2] = 1;
    return a;
}
void Report(string name, List<float> losses, ReadOnlySpan<float> parameters) =>
    Console.WriteLine($"{name,-22} losses {Hash(losses)} params {Hash(parameters.ToArray())}  step1 {losses[0]:R}  step100 {losses[^1]:R}");

var moons = Toy2D.TwoMoons(100 * 256, seed: 1);
var digits = Digits.Load();
var mnist = Mnist.Load();
var ring = Toy2D.EightGaussians(100 * 256, seed: 2);
const int B = 128;
{
    var m = new MoonsFlow(new ModelOptions { MaxBatch = B, Seed = 1 }); var o = new Adam(m, 1e-3f); var l = new List<float>();
    for (int s = 0; s < 100; s++) l.Add(m.TrainStep(new ReadOnlySpan2D<float>(Rows(moons, s * B, B)), o));
    Report("MoonsFlow", l, m.Parameters.Span);
}
{
    var m = new MoonsSplineFlow(new ModelOptions { MaxBatch = B, Seed = 1 }); var o = new Adam(m, 1e-3f); var l = new List<float>();
    for (int s = 0; s < 100; s++) l.Add(m.TrainStep(new ReadOnlySpan2D<float>(Rows(moons, s * B, B)), o));
    var x = new float[B * 2];
    m.Sample(new Span2D<float>(x, B, 2), new Rng(4)); // the inverse too
    l.AddRange(x);
    Report("MoonsSplineFlow", l, m.Parameters.Span);
}
{
    var m = new ConditionalMoonsFlow(new ModelOptions { MaxBatch = B, Seed = 1 }); var o = new Adam(m, 1e-3f); var l = new List<float>();
    for (int s = 0; s < 100; s++) l.Add(m.TrainStep(new ReadOnlySpan2D<float>(Rows(moons, s * B, B)), new ReadOnlySpan2D<float>(MoonLabels(B, s)), o));
    Report("ConditionalMoonsFlow", l, m.Parameters.Span);
}
{
    var m = new DigitsFlow(new ModelOptions { MaxBatch = B, Seed = 1 }); var o = new Adam(m, 1e-3f); var l = new List<float>();
    var transform = LogitTransform.ForDigits(); var noise = new Rng(3); var y = new float[B, 64];
    for (int s = 0; s < 100; s++)
    {
        transform.Forward(new ReadOnlySpan2D<float>(Rows(digits, s * B, B)), new Span2D<float>(y), default, noise); // dequantise + logit, as DigitsFlowTests
        l.Add(m.TrainStep(new ReadOnlySpan2D<float>(y), o));
    }
    Report("DigitsFlow", l, m.Parameters.Span);
}
{
    var m = new DigitsVae(new ModelOptions { MaxBatch = B, Seed = 1 }); var o = new Adam(m, 1e-3f); var l = new List<float>();
    for (int s = 0; s < 100; s++) { var r = m.TrainStep(new ReadOnlySpan2D<float>(Rows(digits, s * B, B)), o); l.Add(r.Loss); l.Add(r.Kl); }
    Report("DigitsVae", l, m.Parameters.Span);
}
{
    var m = new MnistVae(new ModelOptions { MaxBatch = B, Seed = 1 }); var o = new Adam(m, 1e-3f); var l = new List<float>();
    for (int s = 0; s < 100; s++) { var r = m.TrainStep(new ReadOnlySpan2D<float>(Rows(mnist, s * B, B)), o); l.Add(r.Loss); l.Add(r.Kl); }
    Report("MnistVae", l, m.Parameters.Span);
}
{
    var m = new DigitsCvae(new ModelOptions { MaxBatch = B, Seed = 1 }); var o = new Adam(m, 1e-3f); var l = new List<float>();
    for (int s = 0; s < 100; s++) { var r = m.TrainStep(new ReadOnlySpan2D<float>(Rows(digits, s * B, B)), new ReadOnlySpan2D<float>(OneHot(digits, s * B, B, 10)), o); l.Add(r.Loss); l.Add(r.Kl); }
    Report("DigitsCvae", l, m.Parameters.Span);
}
{
    var m = new RingGan(new ModelOptions { MaxBatch = B, Seed = 1 }); var d = new Adam(m.DiscriminatorPart, 1e-3f); var g = new Adam(m.GeneratorPart, 1e-3f); var l = new List<float>();
    for (int s = 0; s < 100; s++) { var r = m.TrainStep(new ReadOnlySpan2D<float>(Rows(ring, s * B, B)), d, g); l.Add(r.Discriminator); l.Add(r.Generator); }
    Report("RingGan", l, m.Parameters.Span);
}
{
    var m = new RingCgan(new ModelOptions { MaxBatch = B, Seed = 1 }); var d = new Adam(m.DiscriminatorPart, 1e-3f); var g = new Adam(m.GeneratorPart, 1e-3f); var l = new List<float>();
    var y = new float[B, 8]; for (int i = 0; i < B; i++) y[i, i % 8] = 1;
    for (int s = 0; s < 100; s++) { var r = m.TrainStep(new ReadOnlySpan2D<float>(Rows(ring, s * B, B)), new ReadOnlySpan2D<float>(y), d, g); l.Add(r.Discriminator); l.Add(r.Generator); }
    Report("RingCgan", l, m.Parameters.Span);
}
{
    var m = new MnistGan(new ModelOptions { MaxBatch = 64, Seed = 1 }); var d = new Adam(m.DiscriminatorPart, 2e-4f); var g = new Adam(m.GeneratorPart, 2e-4f); var l = new List<float>();
    for (int s = 0; s < 100; s++) { var r = m.TrainStep(new ReadOnlySpan2D<float>(Rows(mnist, s * 64, 64)), d, g); l.Add(r.Discriminator); l.Add(r.Generator); }
    Report("MnistGan", l, m.Parameters.Span);
}

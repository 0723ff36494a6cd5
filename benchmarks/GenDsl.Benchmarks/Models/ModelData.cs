using CommunityToolkit.HighPerformance;
using GenDsl.Data;
using TorchSharp;

namespace GenDsl.Benchmarks.Models;

/// <summary>
/// A fixed cycle of training batches, prepared before timing, the same for both implementations: ours
/// reads the float arrays, torch the tensors made from them once. Data loading is not part of any
/// timed step (on either side).
/// </summary>
internal sealed class BatchCycle : IDisposable
{
    private readonly float[][] _batches;
    private readonly torch.Tensor[] _tensors;
    private int _ours, _torch;

    public BatchCycle(float[][] batches, int rows, int columns)
    {
        _batches = batches;
        Rows = rows;
        Columns = columns;
        _tensors = batches.Select(b => torch.tensor(b, [rows, columns])).ToArray();
    }

    /// <summary>Rows per batch.</summary>
    public int Rows { get; }

    /// <summary>Columns per row.</summary>
    public int Columns { get; }

    /// <summary>Number of batches in the cycle.</summary>
    public int Count => _batches.Length;

    /// <summary>The array behind batch <paramref name="i"/> (rows × columns, row-major).</summary>
    public float[] Array(int i) => _batches[i];

    /// <summary>Batch <paramref name="i"/> for ours.</summary>
    public ReadOnlySpan2D<float> Ours(int i) => new(_batches[i], Rows, Columns);

    /// <summary>Batch <paramref name="i"/> for torch.</summary>
    public torch.Tensor Torch(int i) => _tensors[i];

    /// <summary>Our next batch (cycling).</summary>
    public ReadOnlySpan2D<float> NextOurs()
    {
        var b = Ours(_ours);
        _ours = (_ours + 1) % _batches.Length;
        return b;
    }

    /// <summary>Torch's next batch (cycling).</summary>
    public torch.Tensor NextTorch()
    {
        var t = _tensors[_torch];
        _torch = (_torch + 1) % _tensors.Length;
        return t;
    }

    public void Dispose()
    {
        foreach (var t in _tensors) t.Dispose();
    }

    /// <summary>Batches of two moons (noise 0.05).</summary>
    public static BatchCycle Moons(int count, int rows, ulong seed)
    {
        var data = Toy2D.TwoMoons(count * rows, seed);
        return new BatchCycle(Split(data.Data, count, rows * 2), rows, 2);
    }

    /// <summary>
    /// The 8×8 digits in a random order (with repeats past the 1,797 images), dequantised with uniform noise and
    /// logit-transformed as DigitsFlow trains on them (<c>LogitTransform.ForDigits</c>).
    /// </summary>
    public static BatchCycle DigitsLogits(int count, int rows, ulong seed)
    {
        var digits = Digits.Load();
        int n = count * rows;
        var order = new int[digits.Rows];
        new Rng(seed, stream: 2).Permutation(order);
        float[] x = new float[n * 64], y = new float[n * 64];
        for (int r = 0; r < n; r++)
            digits.GetRows(order[r % order.Length], 1).CopyTo(new Span2D<float>(x, r * 64, 1, 64, 0));
        LogitTransform.ForDigits().Forward(new ReadOnlySpan2D<float>(x, n, 64), new Span2D<float>(y, n, 64), Span<float>.Empty, new Rng(seed, stream: 3));
        return new BatchCycle(Split(y, count, rows * 64), rows, 64);
    }

    /// <summary>MNIST rows in a random order, pixels in [0, 1] (for the VAE).</summary>
    public static BatchCycle MnistPixels(int count, int rows, ulong seed) =>
        new(Split(ShuffledMnist(count * rows, seed), count, rows * 784), rows, 784);

    /// <summary>MNIST rows in a random order, pixels mapped to [−1, 1] (the tanh range of the GAN's generator).</summary>
    public static BatchCycle MnistSigned(int count, int rows, ulong seed)
    {
        float[] x = ShuffledMnist(count * rows, seed);
        for (int i = 0; i < x.Length; i++) x[i] = 2 * x[i] - 1;
        return new BatchCycle(Split(x, count, rows * 784), rows, 784);
    }

    /// <summary>Fashion-MNIST training rows (the shipped 10,000) in a random order, pixels in [0, 1] (the conv VAE's data, and the DCGAN's: its generator ends in a sigmoid).</summary>
    public static BatchCycle FashionPixels(int count, int rows, ulong seed)
    {
        var fashion = FashionMnist.LoadTrain();
        var order = new int[fashion.Rows];
        new Rng(seed, stream: 2).Permutation(order);
        int n = count * rows;
        var x = new float[n * 784];
        fashion.CopyBatch(order.AsSpan(0, n), new Span2D<float>(x, n, 784));
        return new BatchCycle(Split(x, count, rows * 784), rows, 784);
    }

    /// <summary>
    /// Fashion-MNIST training rows in a random order (as <see cref="FashionPixels"/>), dequantised with uniform noise and
    /// logit-transformed (<see cref="LogitTransform"/> with 256 levels, α = 0.05, as FashionGlowTests trains FashionGlow).
    /// </summary>
    public static BatchCycle FashionLogits(int count, int rows, ulong seed)
    {
        using var pixels = FashionPixels(count, rows, seed);
        var batches = new float[count][];
        var transform = new LogitTransform(256);
        var noise = new Rng(seed, stream: 3);
        for (int i = 0; i < count; i++)
        {
            batches[i] = new float[rows * 784];
            transform.Forward(pixels.Ours(i), new Span2D<float>(batches[i], rows, 784), Span<float>.Empty, noise);
        }
        return new BatchCycle(batches, rows, 784);
    }

    /// <summary>
    /// MNIST rows, dequantised with uniform noise and logit-transformed (RealNVP's preprocessing,
    /// <see cref="LogitTransform"/> with 256 levels, α = 0.05): real-valued data a flow can model.
    /// </summary>
    public static BatchCycle MnistLogits(int count, int rows, ulong seed)
    {
        int n = count * rows;
        float[] x = ShuffledMnist(n, seed), y = new float[x.Length];
        new LogitTransform(256).Forward(new ReadOnlySpan2D<float>(x, n, 784), new Span2D<float>(y, n, 784), Span<float>.Empty, new Rng(seed, stream: 3));
        return new BatchCycle(Split(y, count, rows * 784), rows, 784);
    }

    /// <summary>The first <paramref name="n"/> MNIST rows of a seeded shuffle (the file is sorted by digit).</summary>
    private static float[] ShuffledMnist(int n, ulong seed)
    {
        var mnist = Mnist.Load();
        var order = new int[mnist.Rows];
        new Rng(seed, stream: 2).Permutation(order);
        var x = new float[n * 784];
        mnist.CopyBatch(order.AsSpan(0, n), new Span2D<float>(x, n, 784));
        return x;
    }

    private static float[][] Split(float[] all, int count, int length)
    {
        var result = new float[count][];
        for (int i = 0; i < count; i++) result[i] = all.AsSpan(i * length, length).ToArray();
        return result;
    }
}

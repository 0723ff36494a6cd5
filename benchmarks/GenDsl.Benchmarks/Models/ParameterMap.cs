using TorchSharp;
using TorchSharp.Modules;

namespace GenDsl.Benchmarks.Models;

/// <summary>
/// Pairs every GenDsl parameter tensor (by checkpoint name, see <see cref="IGenerativeModel.Tensors"/>)
/// with the TorchSharp parameter that plays its role, so that the torch model can be given exactly our
/// parameters, and our gradients compared with torch's. A torch parameter may stand for a block of rows
/// of one of our tensors (the VAE's encoder head [μ; ln σ²] is torch's fc21 and fc22).
/// </summary>
internal sealed class ParameterMap
{
    /// <summary>One pairing: torch's <paramref name="Torch"/> is rows <paramref name="RowStart"/>… of our tensor <paramref name="Ours"/>.</summary>
    public sealed record Entry(TensorInfo Ours, Parameter Torch, int RowStart)
    {
        /// <summary>Floats per row of our tensor (1 for a vector).</summary>
        public int RowLength => Ours.Shape.Length == 1 ? 1 : Ours.Length / Ours.Shape[0];

        /// <summary>Offset in our arena of the first float of the torch parameter.</summary>
        public int Offset => Ours.Offset + RowStart * RowLength;

        /// <summary>Number of floats.</summary>
        public int Length => checked((int)Torch.numel());

        public override string ToString() => RowStart == 0 && Length == Ours.Length ? Ours.Name : $"{Ours.Name}[{RowStart}…]";
    }

    private readonly List<Entry> _entries = new();

    /// <summary>The pairings, in the order added.</summary>
    public IReadOnlyList<Entry> Entries => _entries;

    /// <summary>Pairs by identical names: every parameter of <paramref name="torchModel"/> must be named as one of ours.</summary>
    public static ParameterMap ByName(IGenerativeModel ours, torch.nn.Module torchModel)
    {
        var map = new ParameterMap();
        var byName = ours.Tensors.ToDictionary(t => t.Name);
        foreach (var (name, p) in torchModel.named_parameters())
        {
            if (!byName.TryGetValue(name, out var t))
                throw new InvalidOperationException($"torch parameter '{name}' has no GenDsl tensor of that name.");
            map.Add(t, p);
        }
        map.CheckCovers(ours);
        return map;
    }

    /// <summary>
    /// Pairs by name after <paramref name="rename"/> (torch name → GenDsl checkpoint name, e.g. "G.G1.weight" → "G1.weight");
    /// every torch parameter must rename to one of ours, and together they must cover ours.
    /// </summary>
    public static ParameterMap ByName(IGenerativeModel ours, torch.nn.Module torchModel, Func<string, string> rename)
    {
        var map = new ParameterMap();
        var byName = ours.Tensors.Where(t => !t.IsBuffer).ToDictionary(t => t.Name);
        foreach (var (name, p) in torchModel.named_parameters())
        {
            if (!byName.TryGetValue(rename(name), out var t))
                throw new InvalidOperationException($"torch parameter '{name}' (as '{rename(name)}') has no GenDsl tensor of that name.");
            map.Add(t, p);
        }
        map.CheckCovers(ours);
        return map;
    }

    /// <summary>Adds a pairing, checking that the shapes agree.</summary>
    public ParameterMap Add(TensorInfo ours, Parameter torchParameter, int rowStart = 0)
    {
        long[] shape = torchParameter.shape;
        int[] o = ours.Shape;
        bool ok = shape.Length == o.Length && rowStart >= 0 && rowStart + shape[0] <= o[0];
        for (int i = 1; ok && i < o.Length; i++) ok = shape[i] == o[i];
        if (!ok)
            throw new InvalidOperationException(
                $"Shape mismatch: torch [{string.Join(", ", shape)}] cannot be rows {rowStart}… of GenDsl {ours}.");
        _entries.Add(new Entry(ours, torchParameter, rowStart));
        return this;
    }

    /// <summary>Adds a pairing by our tensor's name.</summary>
    public ParameterMap Add(IGenerativeModel ours, string name, Parameter torchParameter, int rowStart = 0) =>
        Add(ours.Tensors.Single(t => t.Name == name), torchParameter, rowStart);

    /// <summary>Throws unless the pairings cover each of our tensors exactly once (no parameter left out).</summary>
    public void CheckCovers(IGenerativeModel ours)
    {
        long covered = _entries.Sum(e => (long)e.Length);
        if (covered != ours.ParameterCount)
            throw new InvalidOperationException($"The torch model has {covered} parameters, GenDsl's {ours.ParameterCount}.");
        var seen = new HashSet<(int, int)>();
        foreach (var e in _entries)
            if (!seen.Add((e.Offset, e.Length)))
                throw new InvalidOperationException($"{e} is mapped twice.");
    }

    /// <summary>Copies our parameters into the torch parameters (no autograd recording).</summary>
    public void CopyToTorch(ReadOnlySpan<float> ours)
    {
        using var _ = torch.no_grad();
        foreach (var e in _entries)
        {
            using var t = torch.tensor(ours.Slice(e.Offset, e.Length).ToArray(), e.Torch.shape);
            e.Torch.copy_(t);
        }
    }

    /// <summary>Copies the torch parameters into our parameter arena (e.g. to evaluate a torch-trained model with our code).</summary>
    public void CopyFromTorch(Span<float> ours)
    {
        foreach (var e in _entries)
            e.Torch.data<float>().ToArray().CopyTo(ours.Slice(e.Offset, e.Length));
    }

    /// <summary>The torch gradients of the given entries, copied out (e.g. before a later backward adds to them).</summary>
    public Dictionary<Entry, float[]> SnapshotGradients(Func<Entry, bool> which)
    {
        var result = new Dictionary<Entry, float[]>();
        foreach (var e in _entries)
            if (which(e))
                result[e] = TorchGradient(e);
        return result;
    }

    private static float[] TorchGradient(Entry e)
    {
        var g = e.Torch.grad ?? throw new InvalidOperationException($"torch parameter for {e} has no gradient.");
        return g.data<float>().ToArray();
    }

    /// <summary>
    /// The largest, over the selected entries, of ‖g_ours − g_torch‖₂ / ‖g_torch‖₂ (norm-relative, so
    /// that float rounding in entries near zero does not dominate); and which entry it was.
    /// </summary>
    /// <param name="oursGradients">Our gradient arena.</param>
    /// <param name="which">Entries to compare (null: all).</param>
    /// <param name="torchGradients">Snapshots to use instead of the current torch gradients.</param>
    public (double RelDiff, string Worst) CompareGradients(ReadOnlySpan<float> oursGradients, Func<Entry, bool>? which = null,
        Dictionary<Entry, float[]>? torchGradients = null)
    {
        double worst = 0;
        string worstName = "";
        foreach (var e in _entries)
        {
            if (which is not null && !which(e)) continue;
            float[] t = torchGradients is not null && torchGradients.TryGetValue(e, out var snap) ? snap : TorchGradient(e);
            double d = RelativeDifference(oursGradients.Slice(e.Offset, e.Length), t);
            if (!(d <= worst)) { worst = d; worstName = e.ToString(); }
        }
        return (worst, worstName);
    }

    /// <summary>‖a − b‖₂ / ‖b‖₂ (or ‖a − b‖₂ when b = 0); NaN-propagating.</summary>
    public static double RelativeDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"Lengths differ: {a.Length} vs {b.Length}.", nameof(b));
        double diff = 0, norm = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = (double)a[i] - b[i];
            diff += d * d;
            norm += (double)b[i] * b[i];
        }
        return norm > 0 ? Math.Sqrt(diff / norm) : Math.Sqrt(diff);
    }

    /// <summary>|a − b| / |b| (or |a − b| when b = 0).</summary>
    public static double RelativeDifference(double a, double b) => b != 0 ? Math.Abs(a - b) / Math.Abs(b) : Math.Abs(a - b);

    /// <summary>max |a − b| / max |b|: the measure the GEMM comparison uses, for outputs.</summary>
    public static double MaxRelativeDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double maxDiff = 0, maxAbs = 0;
        for (int i = 0; i < a.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs((double)a[i] - b[i]));
            if (double.IsNaN(a[i]) || double.IsNaN(b[i])) return double.NaN;
            maxAbs = Math.Max(maxAbs, Math.Abs(b[i]));
        }
        return maxAbs > 0 ? maxDiff / maxAbs : maxDiff;
    }
}

/// <summary>
/// Pairs batch norm's running statistics (our <see cref="IGenerativeModel.Buffers"/>, tensors with
/// <see cref="TensorInfo.IsBuffer"/>) with torch's buffers of the same (renamed) name; torch's
/// num_batches_tracked has no counterpart (it only matters for momentum = None).
/// </summary>
internal sealed class BufferMap
{
    private readonly List<(TensorInfo Ours, torch.Tensor Torch)> _entries = new();

    public BufferMap(IGenerativeModel ours, torch.nn.Module torchModel, Func<string, string> rename)
    {
        var byName = ours.Tensors.Where(t => t.IsBuffer).ToDictionary(t => t.Name);
        foreach (var (name, b) in torchModel.named_buffers())
        {
            if (name.EndsWith("num_batches_tracked", StringComparison.Ordinal))
                continue;
            if (!byName.Remove(rename(name), out var t))
                throw new InvalidOperationException($"torch buffer '{name}' (as '{rename(name)}') has no GenDsl buffer of that name.");
            if (b.numel() != t.Length)
                throw new InvalidOperationException($"torch buffer '{name}' has {b.numel()} values, GenDsl's {t} {t.Length}.");
            _entries.Add((t, b));
        }
        if (byName.Count > 0)
            throw new InvalidOperationException($"GenDsl buffers without a torch buffer: {string.Join(", ", byName.Keys)}.");
    }

    /// <summary>Copies our buffers into torch's.</summary>
    public void CopyToTorch(ReadOnlySpan<float> buffers)
    {
        using var _ = torch.no_grad();
        foreach (var (t, b) in _entries)
        {
            using var v = torch.tensor(buffers.Slice(t.Offset, t.Length).ToArray(), b.shape);
            b.copy_(v);
        }
    }

    /// <summary>The largest ‖ours − torch‖₂ / ‖torch‖₂ over the buffers, and which one.</summary>
    public (double RelDiff, string Worst) Compare(ReadOnlySpan<float> buffers)
    {
        double worst = 0;
        string worstName = "";
        foreach (var (t, b) in _entries)
        {
            double d = ParameterMap.RelativeDifference(buffers.Slice(t.Offset, t.Length), b.data<float>().ToArray());
            if (!(d <= worst)) { worst = d; worstName = t.Name; }
        }
        return (worst, worstName);
    }
}

using CommunityToolkit.HighPerformance;
using GenDsl.Numerics;
using GenDsl.Threading;
using TorchSharp;
using static TorchSharp.torch;

namespace GenDsl.Benchmarks.Compare;

/// <summary>
/// Times one pass of a convolution layer: ours (<see cref="Conv2d"/> / <see cref="ConvTranspose2d"/>: Forward with
/// bias and no activation, BackwardData, BackwardWeight with the bias gradient) against libtorch on the same float32
/// data and threads.
/// </summary>
/// <remarks>
/// Torch's forward is <c>torch.nn.functional.conv2d</c> / <c>conv_transpose2d</c> with the bias. Its backward passes
/// are what autograd runs in training, and nothing more: the forward graph is recorded once in the constructor, and
/// each call is <c>torch.autograd.grad([y], inputs, [gy], retain_graph: true)</c> with inputs = [x] (input
/// gradient) or [W, b] (weight and bias gradients). Autograd then runs only the convolution's backward node, whose
/// output mask asks libtorch's <c>convolution_backward</c> for just those gradients — the
/// <c>torch.nn.grad.conv2d_input</c> / <c>conv2d_weight</c> of PyTorch, which TorchSharp does not expose. Torch's
/// calls allocate their outputs (normal TorchSharp usage); ours write into buffers allocated once.
/// </remarks>
public sealed class ConvComparison : IComparison
{
    private readonly ConvLayer _layer;
    private readonly ConvPass _pass;
    private readonly WorkerPool _pool;
    private readonly float[] _x, _w, _b, _gy, _out, _gb, _scratch;
    private readonly Tensor _tx, _tw, _tb, _tgy;
    private readonly Tensor? _leafX, _leafW, _leafB, _graphY;
    private readonly Tensor[] _outputs = [], _inputs = [], _gradOutputs = [];

    /// <summary>Allocates and fills the operands (deterministic pseudo-random values) and, for a backward pass, records torch's forward graph.</summary>
    public ConvComparison(ConvLayer layer, ConvPass pass, WorkerPool pool)
    {
        _layer = layer;
        _pass = pass;
        _pool = pool;
        int n = layer.Batch;
        var rng = new Random(layer.InChannels * 7919 + layer.OutChannels * 31 + layer.Height * 7 + layer.Batch + (layer.Transposed ? 1 : 0));
        // Weights scaled like a default init (±1/√fan-in), so that outputs and gradients stay O(1).
        int fanIn = (layer.Transposed ? layer.OutChannels : layer.InChannels) * layer.Kernel * layer.Kernel;
        _x = Random(rng, n * layer.InFeatures, 1f);
        _w = Random(rng, layer.WeightLength, 1f / MathF.Sqrt(fanIn));
        _b = Random(rng, layer.OutChannels, 0.1f);
        _gy = Random(rng, n * layer.OutFeatures, 1f);
        _out = new float[pass switch
        {
            ConvPass.Forward => n * layer.OutFeatures,
            ConvPass.InputGradient => n * layer.InFeatures,
            _ => layer.WeightLength,
        }];
        _gb = new float[layer.OutChannels];
        _scratch = new float[layer.Transposed
            ? ConvTranspose2d.ScratchFloats(layer.TransposeShape, n, pool.Threads)
            : Conv2d.ScratchFloats(layer.Shape, n, pool.Threads)];

        var (oh, ow) = layer.OutSize;
        long[] wShape = layer.Transposed
            ? [layer.InChannels, layer.OutChannels, layer.Kernel, layer.Kernel]
            : [layer.OutChannels, layer.InChannels, layer.Kernel, layer.Kernel];
        _tx = torch.tensor(_x, [n, layer.InChannels, layer.Height, layer.Width]);
        _tw = torch.tensor(_w, wShape);
        _tb = torch.tensor(_b, [layer.OutChannels]);
        _tgy = torch.tensor(_gy, [n, layer.OutChannels, oh, ow]);
        if (pass == ConvPass.InputGradient)
        {
            _leafX = _tx.detach().requires_grad_(true);
            _graphY = TorchForward(_leafX, _tw, _tb);
            _inputs = [_leafX];
        }
        else if (pass == ConvPass.WeightGradient)
        {
            _leafW = _tw.detach().requires_grad_(true);
            _leafB = _tb.detach().requires_grad_(true);
            _graphY = TorchForward(_tx, _leafW, _leafB);
            _inputs = [_leafW, _leafB];
        }
        if (_graphY is not null)
        {
            _outputs = [_graphY];
            _gradOutputs = [_tgy];
        }
    }

    /// <inheritdoc/>
    public string Name => _layer.Name(_pass);

    /// <inheritdoc/>
    public double Flops => _layer.Flops;

    /// <inheritdoc/>
    public void RunOurs()
    {
        var l = _layer;
        int n = l.Batch;
        var x = new ReadOnlySpan2D<float>(_x, n, l.InFeatures);
        var gy = new ReadOnlySpan2D<float>(_gy, n, l.OutFeatures);
        switch (_pass, l.Transposed)
        {
            case (ConvPass.Forward, false):
                Conv2d.Forward(x, _w, _b, new Span2D<float>(_out, n, l.OutFeatures), l.Shape, Activation.Identity, 0.2f, _scratch, _pool);
                break;
            case (ConvPass.Forward, true):
                ConvTranspose2d.Forward(x, _w, _b, new Span2D<float>(_out, n, l.OutFeatures), l.TransposeShape, Activation.Identity, 0.2f, _scratch, _pool);
                break;
            case (ConvPass.InputGradient, false):
                Conv2d.BackwardData(gy, _w, new Span2D<float>(_out, n, l.InFeatures), l.Shape, _scratch, _pool);
                break;
            case (ConvPass.InputGradient, true):
                ConvTranspose2d.BackwardData(gy, _w, new Span2D<float>(_out, n, l.InFeatures), l.TransposeShape, _scratch, _pool);
                break;
            case (_, false):
                Conv2d.BackwardWeight(gy, x, _out, _gb, l.Shape, _scratch, _pool);
                break;
            default:
                ConvTranspose2d.BackwardWeight(gy, x, _out, _gb, l.TransposeShape, _scratch, _pool);
                break;
        }
    }

    /// <inheritdoc/>
    public void RunTorch()
    {
        if (_pass == ConvPass.Forward)
        {
            using var y = TorchForward(_tx, _tw, _tb);
            return;
        }
        foreach (var g in torch.autograd.grad(_outputs, _inputs, _gradOutputs, retain_graph: true))
            g.Dispose();
    }

    /// <inheritdoc/>
    public double Verify()
    {
        RunOurs();
        var diff = new RelDiff();
        if (_pass == ConvPass.Forward)
        {
            using var y = TorchForward(_tx, _tw, _tb);
            diff.Add(_out, y);
        }
        else
        {
            var grads = torch.autograd.grad(_outputs, _inputs, _gradOutputs, retain_graph: true);
            diff.Add(_out, grads[0]);
            if (_pass == ConvPass.WeightGradient)
                diff.Add(_gb, grads[1]);
            foreach (var g in grads) g.Dispose();
        }
        return diff.Value;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _graphY?.Dispose();
        _leafX?.Dispose();
        _leafW?.Dispose();
        _leafB?.Dispose();
        _tx.Dispose();
        _tw.Dispose();
        _tb.Dispose();
        _tgy.Dispose();
    }

    private Tensor TorchForward(Tensor x, Tensor w, Tensor b)
    {
        var l = _layer;
        long[] stride = [l.Stride, l.Stride], padding = [l.Padding, l.Padding];
        return l.Transposed
            ? nn.functional.conv_transpose2d(x, w, b, strides: stride, padding: padding)
            : nn.functional.conv2d(x, w, b, strides: stride, padding: padding);
    }

    /// <summary>max |ours − torch| / max |torch| over several outputs.</summary>
    private sealed class RelDiff
    {
        private double _maxDiff, _maxAbs;

        public double Value => _maxAbs > 0 ? _maxDiff / _maxAbs : _maxDiff;

        public void Add(float[] ours, Tensor expected)
        {
            using var flat = expected.detach().contiguous().reshape(-1);
            var t = flat.data<float>();
            if (t.Count != ours.Length)
                throw new InvalidOperationException($"torch produced {t.Count} floats where ours has {ours.Length}.");
            for (int i = 0; i < ours.Length; i++)
            {
                float e = t[i];
                _maxDiff = Math.Max(_maxDiff, Math.Abs(ours[i] - e));
                _maxAbs = Math.Max(_maxAbs, Math.Abs(e));
            }
        }
    }

    private static float[] Random(Random rng, int count, float scale)
    {
        var x = new float[count];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return x;
    }
}

using Google.Protobuf;
using Onnx;

namespace GenDsl.Export;

/// <summary>An attribute of an ONNX node (an int, a list of ints or a float), without exposing the protobuf types.</summary>
public readonly struct OnnxAttribute
{
    private OnnxAttribute(string name, long? i, long[]? ints, float? f)
    {
        Name = name;
        IntValue = i;
        IntsValue = ints;
        FloatValue = f;
    }

    /// <summary>The attribute's name ("strides").</summary>
    public string Name { get; }
    internal long? IntValue { get; }
    internal long[]? IntsValue { get; }
    internal float? FloatValue { get; }

    /// <summary>An INT attribute.</summary>
    public static OnnxAttribute Int(string name, long value) => new(name, value, null, null);

    /// <summary>An INTS attribute.</summary>
    public static OnnxAttribute Ints(string name, params long[] values) => new(name, null, values, null);

    /// <summary>A FLOAT attribute.</summary>
    public static OnnxAttribute Float(string name, float value) => new(name, null, null, value);

    internal AttributeProto ToProto()
    {
        var a = new AttributeProto { Name = Name };
        if (IntValue is long i)
        {
            a.Type = AttributeProto.Types.AttributeType.Int;
            a.I = i;
        }
        else if (IntsValue is long[] ints)
        {
            a.Type = AttributeProto.Types.AttributeType.Ints;
            a.Ints.AddRange(ints);
        }
        else
        {
            a.Type = AttributeProto.Types.AttributeType.Float;
            a.F = FloatValue ?? 0f;
        }
        return a;
    }
}

/// <summary>
/// Builds one ONNX graph (opset <see cref="Opset"/>, float32, a dynamic first dimension named
/// <see cref="BatchDimension"/>) on the ONNX protobuf classes of OnnxSharp. The code GenDsl generates
/// for <c>ExportOnnx</c> calls it: every op of the layer catalogue adds its own nodes, named after
/// the declaration's members, with its tensors as initialisers named as in checkpoints
/// (<c>C1.net.0.weight</c>). Values are named by their hints; a hint already taken gets a
/// "_2", "_3" … suffix, and names reserved for the graph's outputs are never handed out.
/// </summary>
public sealed class OnnxGraphBuilder
{
    /// <summary>The default-domain opset every exported graph imports.</summary>
    public const int Opset = 17;

    /// <summary>ONNX IR version 8, the one of opset 17 (ONNX 1.12).</summary>
    public const long IrVersion = 8;

    /// <summary>The symbolic name of the batch dimension of every input and output.</summary>
    public const string BatchDimension = "batch";

    private readonly GraphProto _graph = new();
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private readonly HashSet<string> _reserved = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);
    private readonly string _model;
    private int _nodes;

    /// <param name="model">The model's class name, for the graph's name and messages.</param>
    /// <param name="part">The part (<see cref="OnnxParts.Name"/>): the graph is named "model.part".</param>
    /// <param name="doc">What the graph computes, stored as its doc string.</param>
    /// <param name="reserved">The names of the graph's inputs and outputs, kept out of the hints.</param>
    public OnnxGraphBuilder(string model, string part, string doc, params string[] reserved)
    {
        _model = model;
        _graph.Name = model + "." + part;
        _graph.DocString = doc;
        foreach (var name in reserved)
            _reserved.Add(name);
        _metadata["gendsl.model"] = model;
        _metadata["gendsl.part"] = part;
    }

    /// <summary>Adds a metadata entry of the model ("gendsl.declaration_hash").</summary>
    public void Metadata(string key, string value) => _metadata[key] = value;

    /// <summary>Nodes added so far.</summary>
    public int NodeCount => _graph.Node.Count;

    /// <summary>A fresh value name from <paramref name="hint"/>.</summary>
    public string Unique(string hint)
    {
        if (!_used.Contains(hint) && !_reserved.Contains(hint))
        {
            _used.Add(hint);
            return hint;
        }
        for (int i = 2; ; i++)
        {
            string name = hint + "_" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!_used.Contains(name) && !_reserved.Contains(name))
            {
                _used.Add(name);
                return name;
            }
        }
    }

    private string Exact(string name)
    {
        if (!_used.Add(name))
            throw new InvalidOperationException($"The ONNX graph of {_model} already has a value named '{name}'.");
        return name;
    }

    private static ValueInfoProto FloatInfo(string name, long[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = BatchDimension });
        foreach (var d in dims)
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    /// <summary>Declares a float32 graph input [batch, dims…]; returns its name.</summary>
    public string Input(string name, params long[] dims)
    {
        _reserved.Remove(name);
        _graph.Input.Add(FloatInfo(Exact(name), dims));
        return name;
    }

    /// <summary>Makes <paramref name="value"/> the graph output <paramref name="name"/> [batch, dims…] (through an Identity node).</summary>
    public void Output(string value, string name, params long[] dims)
    {
        _reserved.Remove(name);
        AddNode("Identity", new[] { value }, Exact(name), Array.Empty<OnnxAttribute>());
        _graph.Output.Add(FloatInfo(name, dims));
    }

    /// <summary>A float32 initialiser named exactly <paramref name="name"/> (a checkpoint tensor's name) holding <paramref name="values"/> in the shape <paramref name="dims"/>.</summary>
    public string Initializer(string name, ReadOnlySpan<float> values, params long[] dims)
    {
        long count = 1;
        foreach (var d in dims) count *= d;
        if (count != values.Length)
            throw new ArgumentException($"Initializer '{name}' has {values.Length} values but its shape [{string.Join(", ", dims)}] holds {count}.", nameof(values));
        var t = new TensorProto { Name = Exact(name), DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        t.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values)); // little-endian, as ONNX stores raw data
        _graph.Initializer.Add(t);
        return name;
    }

    /// <summary>A float32 constant (an initialiser with a name made from <paramref name="hint"/>).</summary>
    public string Constant(string hint, ReadOnlySpan<float> values, params long[] dims)
    {
        string name = Unique(hint);
        _used.Remove(name);
        return Initializer(name, values, dims);
    }

    /// <summary>A float32 scalar constant.</summary>
    public string Scalar(string hint, float value) => Constant(hint, new[] { value });

    /// <summary>A 1-D int64 constant (indices, shapes, axes).</summary>
    public string Int64s(string hint, params long[] values)
    {
        var t = new TensorProto { Name = Unique(hint), DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.Add(values.Length);
        t.Int64Data.AddRange(values);
        _graph.Initializer.Add(t);
        return t.Name;
    }

    /// <summary>A 1-D int64 constant from int indices.</summary>
    public string Indices(string hint, ReadOnlySpan<int> values)
    {
        var longs = new long[values.Length];
        for (int i = 0; i < values.Length; i++) longs[i] = values[i];
        return Int64s(hint, longs);
    }

    private void AddNode(string op, IEnumerable<string> inputs, string output, OnnxAttribute[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = op + "_" + (_nodes++).ToString(System.Globalization.CultureInfo.InvariantCulture) + "_" + output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        foreach (var a in attributes)
            node.Attribute.Add(a.ToProto());
        _graph.Node.Add(node);
    }

    /// <summary>Adds a node of <paramref name="op"/> with one output named from <paramref name="hint"/>; returns the output's name.</summary>
    public string Node(string op, string hint, string[] inputs, params OnnxAttribute[] attributes)
    {
        string output = Unique(hint);
        AddNode(op, inputs, output, attributes);
        return output;
    }

    // ---------------------------------------------------------------- element-wise and algebra

    /// <summary>a + b (broadcasting).</summary>
    public string Add(string hint, string a, string b) => Node("Add", hint, new[] { a, b });

    /// <summary>a − b (broadcasting).</summary>
    public string Sub(string hint, string a, string b) => Node("Sub", hint, new[] { a, b });

    /// <summary>a ⊙ b (broadcasting).</summary>
    public string Mul(string hint, string a, string b) => Node("Mul", hint, new[] { a, b });

    /// <summary>−x.</summary>
    public string Neg(string hint, string x) => Node("Neg", hint, new[] { x });

    /// <summary>eˣ.</summary>
    public string Exp(string hint, string x) => Node("Exp", hint, new[] { x });

    /// <summary>tanh x.</summary>
    public string Tanh(string hint, string x) => Node("Tanh", hint, new[] { x });

    /// <summary>a · b.</summary>
    public string MatMul(string hint, string a, string b) => Node("MatMul", hint, new[] { a, b });

    /// <summary>x · Wᵀ + b for x [batch, in], W [out, in] (torch.nn.Linear's layout), b [out].</summary>
    public string Gemm(string hint, string x, string weight, string bias) =>
        Node("Gemm", hint, new[] { x, weight, bias }, OnnxAttribute.Int("transB", 1));

    /// <summary>
    /// A dense layer act(x · Wᵀ + b) (torch.nn.Linear's layout): W [outputs, inputs] and b [outputs] are read from
    /// <paramref name="parameters"/> at their offsets and added as the initialisers <paramref name="weightName"/> and
    /// <paramref name="biasName"/>; the output is named <paramref name="name"/>. One call per layer keeps the
    /// generated code of deep coupling networks small.
    /// </summary>
    public string Dense(string name, string x, ReadOnlySpan<float> parameters, string weightName, int weightOffset, string biasName, int biasOffset,
        int outputs, int inputs, Activation activation)
    {
        string weight = Initializer(weightName, parameters.Slice(weightOffset, outputs * inputs), outputs, inputs);
        string bias = Initializer(biasName, parameters.Slice(biasOffset, outputs), outputs);
        string linear = Gemm(activation == GenDsl.Activation.Identity ? name : name + ".linear", x, weight, bias);
        return Activation(name, linear, activation);
    }

    /// <summary>x · Wᵀ for W [out, in].</summary>
    public string MatMulTransposed(string hint, string x, string weight) =>
        MatMul(hint, x, Node("Transpose", hint + ".T", new[] { weight }, OnnxAttribute.Ints("perm", 1, 0)));

    /// <summary>Σ_j x[:, j] per row: [batch, n] → [batch].</summary>
    public string SumColumns(string hint, string x) =>
        Node("ReduceSum", hint, new[] { x, Int64s(hint + ".axes", 1) }, OnnxAttribute.Int("keepdims", 0));

    /// <summary>The sum of all of a tensor's values, a scalar.</summary>
    public string SumAll(string hint, string x) =>
        Node("ReduceSum", hint, new[] { x }, OnnxAttribute.Int("keepdims", 0));

    /// <summary>
    /// The activation <paramref name="activation"/> (GenDsl's: LeakyReLU with slope 0.2, Softplus ln(1 + eˣ));
    /// the identity returns <paramref name="x"/> itself.
    /// </summary>
    public string Activation(string hint, string x, Activation activation) => activation switch
    {
        GenDsl.Activation.Identity => x,
        GenDsl.Activation.Relu => Node("Relu", hint, new[] { x }),
        GenDsl.Activation.LeakyRelu => Node("LeakyRelu", hint, new[] { x }, OnnxAttribute.Float("alpha", 0.2f)),
        GenDsl.Activation.Tanh => Node("Tanh", hint, new[] { x }),
        GenDsl.Activation.Sigmoid => Node("Sigmoid", hint, new[] { x }),
        GenDsl.Activation.Softplus => Node("Softplus", hint, new[] { x }),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Not a GenDsl activation."),
    };

    /// <summary>Softmax over the columns of a [batch, n] value (ONNX Softmax, axis 1).</summary>
    public string Softmax(string hint, string x) => Node("Softmax", hint, new[] { x }, OnnxAttribute.Int("axis", 1));

    // ---------------------------------------------------------------- shapes

    /// <summary>[batch, …] → [batch, product of the rest] (torch.flatten(x, 1)).</summary>
    public string Flatten(string hint, string x) => Node("Flatten", hint, new[] { x }, OnnxAttribute.Int("axis", 1));

    /// <summary>Reshapes to [batch, dims…] (the batch dimension stays dynamic).</summary>
    public string Reshape(string hint, string x, params long[] dims)
    {
        var shape = new long[dims.Length + 1];
        shape[0] = -1;
        dims.CopyTo(shape, 1);
        return Node("Reshape", hint, new[] { x, Int64s(hint + ".shape", shape) });
    }

    /// <summary>Permutes the axes of x (ONNX Transpose; <paramref name="perm"/> includes the batch axis 0).</summary>
    public string Transpose(string hint, string x, params long[] perm) =>
        Node("Transpose", hint, new[] { x }, OnnxAttribute.Ints("perm", perm));

    /// <summary>A layer kind that has no ONNX form yet: throws a NotSupportedException naming the layer (no graph is written).</summary>
    public string Unsupported(string layer, string kind) =>
        throw new NotSupportedException($"{_model}: layer '{layer}' ({kind}) has no ONNX export yet, so no graph was written.");

    /// <summary>Columns <paramref name="indices"/> of x [batch, n], in that order: [batch, indices.Length].</summary>
    public string GatherColumns(string hint, string x, ReadOnlySpan<int> indices) =>
        Node("Gather", hint, new[] { x, Indices(hint + ".indices", indices) }, OnnxAttribute.Int("axis", 1));

    /// <summary>Rows <paramref name="indices"/> of a matrix, in that order.</summary>
    public string GatherRows(string hint, string x, ReadOnlySpan<int> indices) =>
        Node("Gather", hint, new[] { x, Indices(hint + ".indices", indices) }, OnnxAttribute.Int("axis", 0));

    /// <summary>Columns [start, start + count) of x [batch, n].</summary>
    public string Columns(string hint, string x, int start, int count) =>
        Node("Slice", hint, new[] { x, Int64s(hint + ".starts", start), Int64s(hint + ".ends", start + count), Int64s(hint + ".axes", 1) });

    /// <summary>Concatenation along <paramref name="axis"/>.</summary>
    public string Concat(string hint, int axis, params string[] values) =>
        Node("Concat", hint, values, OnnxAttribute.Int("axis", axis));

    /// <summary>y [batch, k] as k constant channels of <paramref name="height"/>×<paramref name="width"/>: [batch, k, height, width].</summary>
    public string ConditionChannels(string hint, string y, int k, int height, int width) =>
        Node("Expand", hint, new[] { Reshape(hint + ".column", y, k, 1, 1), Int64s(hint + ".shape", 1, k, height, width) });

    /// <summary>
    /// y [batch, c·h·w], rows of channel-major condition images [c, h, w], resized to [batch, c, height, width] as torch's
    /// adaptive_avg_pool2d (and GenDsl's ConditionKernels.Resize) does. Adaptive average pooling is separable: out = A_h · y ·
    /// A_wᵀ per channel, where row i of A_h holds 1/n at the n input rows ⌊i·h/H⌋ … ⌈(i + 1)·h/H⌉ − 1 (A_w likewise), so it
    /// is two MatMuls with constant matrices (none when the sizes agree).
    /// </summary>
    public string ConditionImage(string hint, string y, int channels, int h, int w, int height, int width)
    {
        string image = Reshape(hint + ".image", y, channels, h, w);
        if (h == height && w == width)
            return image;
        string rows = MatMul(hint + ".rows", Constant(hint + ".A_h", PoolingMatrix(h, height), height, h), image);          // [batch, c, height, w]
        return MatMul(hint, rows, Constant(hint + ".A_w_T", Transpose(PoolingMatrix(w, width), width, w), w, width)); // [batch, c, height, width]
    }

    /// <summary>The [output, input] matrix of 1-D adaptive average pooling from <paramref name="input"/> to <paramref name="output"/> values.</summary>
    private static float[] PoolingMatrix(int input, int output)
    {
        var a = new float[output * input];
        for (int i = 0; i < output; i++)
        {
            int start = (int)((long)i * input / output), end = (int)(((long)(i + 1) * input + output - 1) / output);
            for (int j = start; j < end; j++)
                a[i * input + j] = 1f / (end - start);
        }
        return a;
    }

    private static float[] Transpose(float[] a, int rows, int cols)
    {
        var t = new float[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                t[c * rows + r] = a[r * cols + c];
        return t;
    }

    // ---------------------------------------------------------------- layers

    /// <summary>torch.nn.Conv2d: x [batch, c, h, w], W [out, c, k, k], b [out].</summary>
    public string Conv(string hint, string x, string weight, string bias, int kernel, int stride, int padding) =>
        Node("Conv", hint, new[] { x, weight, bias },
            OnnxAttribute.Ints("kernel_shape", kernel, kernel), OnnxAttribute.Ints("strides", stride, stride),
            OnnxAttribute.Ints("pads", padding, padding, padding, padding), OnnxAttribute.Ints("dilations", 1, 1));

    /// <summary>torch.nn.ConvTranspose2d: x [batch, c, h, w], W [c, out, k, k], b [out].</summary>
    public string ConvTranspose(string hint, string x, string weight, string bias, int kernel, int stride, int padding, int outputPadding) =>
        Node("ConvTranspose", hint, new[] { x, weight, bias },
            OnnxAttribute.Ints("kernel_shape", kernel, kernel), OnnxAttribute.Ints("strides", stride, stride),
            OnnxAttribute.Ints("pads", padding, padding, padding, padding), OnnxAttribute.Ints("output_padding", outputPadding, outputPadding),
            OnnxAttribute.Ints("dilations", 1, 1));

    /// <summary>Batch normalisation in inference form: γ ⊙ (x − running_mean)/√(running_var + ε) + β per channel (axis 1).</summary>
    public string BatchNormalization(string hint, string x, string scale, string bias, string mean, string variance, float epsilon) =>
        Node("BatchNormalization", hint, new[] { x, scale, bias, mean, variance }, OnnxAttribute.Float("epsilon", epsilon));

    // ---------------------------------------------------------------- invertible linear (Glow's LU form)

    /// <summary>The d×d identity matrix (a constant).</summary>
    public string Identity(string hint, int d)
    {
        var eye = new float[d * d];
        for (int i = 0; i < d; i++) eye[i * d + i] = 1f;
        return Constant(hint, eye, d, d);
    }

    /// <summary>The strictly lower (<paramref name="lower"/> true) or strictly upper part of a d×d matrix, through a constant 0/1 mask.</summary>
    public string StrictTriangle(string hint, string m, int d, bool lower)
    {
        var mask = new float[d * d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
                mask[i * d + j] = (lower ? i > j : i < j) ? 1f : 0f;
        return Mul(hint, m, Constant(hint + ".mask", mask, d, d));
    }

    /// <summary>
    /// (I + N)⁻¹ for a strictly triangular d×d <paramref name="strict"/> N: N is nilpotent (Nᵈ = 0), so
    /// (I + N)⁻¹ = Σ_{k&lt;d} (−N)ᵏ = (I − N)(I + N²)(I + N⁴)… — ⌈log₂ d⌉ products, no solver op needed.
    /// </summary>
    public string UnitTriangularInverse(string hint, string strict, int d)
    {
        string eye = Identity(hint + ".I", d);
        string power = Neg(hint + ".negN", strict);        // (−N)^(2^j)
        string inverse = Add(hint + ".term", eye, power);  // Σ_{k<2^(j+1)} (−N)^k
        for (long reach = 2; reach < d; reach *= 2)
        {
            power = MatMul(hint + ".power", power, power);
            inverse = MatMul(hint + ".term", inverse, Add(hint + ".factor", eye, power));
        }
        return Node("Identity", hint, new[] { inverse });
    }

    // ---------------------------------------------------------------- rational-quadratic spline ([SplineCoupling])

    private const long OnnxFloat = 1, OnnxInt64 = 7, OnnxDouble = 11; // TensorProto data types, for Cast

    /// <summary>A float64 scalar constant (the spline is computed in double, as GenDsl computes it).</summary>
    public string DoubleScalar(string hint, double value)
    {
        var t = new TensorProto { Name = Unique(hint), DataType = (int)TensorProto.Types.DataType.Double };
        t.DoubleData.Add(value);
        _graph.Initializer.Add(t);
        return t.Name;
    }

    /// <summary>x cast to the ONNX data type <paramref name="to"/>.</summary>
    private string Cast(string hint, string x, long to) => Node("Cast", hint, new[] { x }, OnnxAttribute.Int("to", to));

    /// <summary>Elements [start, start + count) of x along <paramref name="axis"/>.</summary>
    private string Slice(string hint, string x, int axis, int start, int count) =>
        Node("Slice", hint, new[] { x, Int64s(hint + ".starts", start), Int64s(hint + ".ends", start + count), Int64s(hint + ".axes", axis) });

    private string Div(string hint, string a, string b) => Node("Div", hint, new[] { a, b });
    private string Min(string hint, string a, string b) => Node("Min", hint, new[] { a, b });
    private string Max(string hint, string a, string b) => Node("Max", hint, new[] { a, b });
    private string Where(string hint, string condition, string a, string b) => Node("Where", hint, new[] { condition, a, b });
    private string Clamp(string hint, string x, string lo, string hi) => Min(hint, Max(hint + ".low", x, lo), hi);

    /// <summary>
    /// The knots of a spline from its raw widths or heights θ [batch, d, K] (double): [batch, d, K + 1] with knot 0 = −B,
    /// knot i = −B + 2B·Σ_{j&lt;i} (m + (1 − m·K)·softmax(θ)_j), knot K = B (SplineKernels.Cumulative).
    /// </summary>
    private string Knots(string hint, string theta, int bins, double tailBound, double minimum, string low, string high)
    {
        string p = Node("Softmax", hint + ".softmax", new[] { theta }, OnnxAttribute.Int("axis", 2));
        string sizes = Add(hint + ".sizes", DoubleScalar(hint + ".min", minimum), Mul(hint + ".scaled", p, DoubleScalar(hint + ".scale", 1 - minimum * bins)));
        string sums = Node("CumSum", hint + ".cumsum", new[] { sizes, Int64s(hint + ".axis", 2) });
        string inner = Add(hint + ".inner", DoubleScalar(hint + ".minus_b", -tailBound),
            Mul(hint + ".span", Slice(hint + ".inner_sums", sums, 2, 0, bins - 1), DoubleScalar(hint + ".two_b", 2 * tailBound)));
        return Node("Concat", hint, new[] { low, inner, high }, OnnxAttribute.Int("axis", 2));
    }

    /// <summary>
    /// The rational-quadratic spline with linear tails of a [SplineCoupling] (docs/flow-layers.md, "Spline coupling";
    /// SplineKernels), element-wise on <paramref name="x"/> [batch, d] with the raw parameters
    /// <paramref name="theta"/> [batch, d·P] (P = 3K − 1 per feature: K widths, K heights, K − 1 derivatives), computed
    /// in double and rounded to float as GenDsl does. Forward (<paramref name="inverse"/> false): g(x) and, in
    /// <paramref name="logDerivative"/>, Σ_j ln g′(x_j) per row [batch] (each term rounded to float first, as GenDsl sums
    /// them). Inverse: g⁻¹(x) by the quadratic's stable root, with GenDsl's fallback of 64 bisection steps (computed
    /// for every value, selected where the root misses the forward map by more than 1e-9·h_k); no log-derivative.
    /// The bin is found without a search op: bin = #{k = 1 … K−1 : knot_k ≤ value}, a ReduceSum of comparisons.
    /// </summary>
    public string RationalQuadraticSpline(string hint, string x, string theta, int features, int bins, float tailBound, bool inverse, out string? logDerivative)
    {
        int P = 3 * bins - 1;
        double b = tailBound;
        string t = Cast(hint + ".theta64", Reshape(hint + ".theta", theta, features, P), OnnxDouble); // [batch, d, P]
        string v = Cast(hint + ".x64", Reshape(hint + ".x", x, features, 1), OnnxDouble);            // [batch, d, 1]
        string shape = Node("Shape", hint + ".shape", new[] { v });
        string Fill(string name, double value) => Node("Expand", hint + "." + name, new[] { DoubleScalar(hint + "." + name + ".value", value), shape });
        string low = Fill("minus_b", -b), high = Fill("b", b), one = Fill("one", 1), zero = Fill("zero", 0);

        string xs = Knots(hint + ".xs", Slice(hint + ".theta_w", t, 2, 0, bins), bins, b, Numerics.SplineKernels.MinBinWidth, low, high);
        string ys = Knots(hint + ".ys", Slice(hint + ".theta_h", t, 2, bins, bins), bins, b, Numerics.SplineKernels.MinBinHeight, low, high);
        // δ_0 = δ_K = 1, δ_k = m_d + softplus(θ_d,k−1) with softplus(θ) = max(θ, 0) + ln(1 + e^(−|θ|))
        string td = Slice(hint + ".theta_d", t, 2, 2 * bins, bins - 1);
        string softplus = Add(hint + ".softplus", Max(hint + ".relu", td, DoubleScalar(hint + ".zero0", 0)),
            Node("Log", hint + ".log1p", new[] { Add(hint + ".one_plus", DoubleScalar(hint + ".one0", 1), Exp(hint + ".exp", Neg(hint + ".minus_abs", Node("Abs", hint + ".abs", new[] { td })))) }));
        string ds = Node("Concat", hint + ".ds", new[] { one, Add(hint + ".d_inner", DoubleScalar(hint + ".min_d", Numerics.SplineKernels.MinDerivative), softplus), one }, OnnxAttribute.Int("axis", 2));

        // inside [−B, B] (a NaN is not): the spline; outside: the identity
        string inside = Node("And", hint + ".inside", new[] { Node("GreaterOrEqual", hint + ".above", new[] { v, low }), Node("LessOrEqual", hint + ".below", new[] { v, high }) });
        string value = Clamp(hint + ".clamped", v, low, high);
        // bin = the last k ≤ K − 1 whose knot (x_k forward, y_k inverse) is ≤ the value: the count of inner knots ≤ it
        string searched = inverse ? ys : xs;
        string bin = Node("ReduceSum", hint + ".bin", new[] { Cast(hint + ".at_or_after", Node("GreaterOrEqual", hint + ".compare", new[] { value, Slice(hint + ".inner_knots", searched, 2, 1, bins - 1) }), OnnxInt64), Int64s(hint + ".bin.axes", 2) },
            OnnxAttribute.Int("keepdims", 1));
        string next = Add(hint + ".bin_next", bin, Int64s(hint + ".one_index", 1));
        string At(string name, string knots, string index) => Node("GatherElements", hint + "." + name, new[] { knots, index }, OnnxAttribute.Int("axis", 2));
        string x0 = At("x_k", xs, bin), x1 = At("x_k1", xs, next), y0 = At("y_k", ys, bin), y1 = At("y_k1", ys, next);
        string d0 = At("d_k", ds, bin), d1 = At("d_k1", ds, next);
        string w = Sub(hint + ".w", x1, x0), h = Sub(hint + ".h", y1, y0), s = Div(hint + ".s", h, w);
        string oneC = DoubleScalar(hint + ".one1", 1);

        // den(ξ) = s((1 − ξ)² + ξ²) + (δ_k + δ_{k+1})ξ(1 − ξ), num(ξ) = h(sξ² + δ_kξ(1 − ξ)): sums of non-negative terms
        (string Om, string Xi2, string T, string Den, string Num) Terms(string name, string xi)
        {
            string om = Sub(hint + name + ".om", oneC, xi), xi2 = Mul(hint + name + ".xi2", xi, xi), tt = Mul(hint + name + ".t", xi, om);
            string den = Add(hint + name + ".den", Mul(hint + name + ".den_s", s, Add(hint + name + ".squares", Mul(hint + name + ".om2", om, om), xi2)), Mul(hint + name + ".den_d", Add(hint + name + ".d_sum", d0, d1), tt));
            string num = Mul(hint + name + ".num", h, Add(hint + name + ".num_in", Mul(hint + name + ".s_xi2", s, xi2), Mul(hint + name + ".d_t", d0, tt)));
            return (om, xi2, tt, den, num);
        }

        string result;
        if (!inverse)
        {
            string xi = Clamp(hint + ".xi", Div(hint + ".xi_raw", Sub(hint + ".dx", value, x0), w), DoubleScalar(hint + ".zero1", 0), oneC);
            var (om, xi2, tt, den, num) = Terms(".f", xi);
            // g = y_k + num/den clamped to the bin; g′ = s²·[δ_{k+1}ξ² + 2sξ(1 − ξ) + δ_k(1 − ξ)²] / den²
            string g = Clamp(hint + ".g", Add(hint + ".g_raw", y0, Div(hint + ".ratio", num, den)), y0, y1);
            string e = Add(hint + ".e", Add(hint + ".e01", Mul(hint + ".e0", d1, xi2), Mul(hint + ".e1", Mul(hint + ".two_s", DoubleScalar(hint + ".two", 2), s), tt)), Mul(hint + ".e2", d0, Mul(hint + ".om2b", om, om)));
            string logG = Node("Log", hint + ".log_g", new[] { Div(hint + ".g_prime", Mul(hint + ".s2e", Mul(hint + ".s2", s, s), e), Mul(hint + ".den2", den, den)) });
            result = Where(hint + ".spline", inside, g, v);
            string terms = Cast(hint + ".log_g32", Where(hint + ".log_g_inside", inside, logG, zero), OnnxFloat);
            logDerivative = Node("ReduceSum", hint + ".log_det", new[] { terms, Int64s(hint + ".log_det.axes", 1, 2) }, OnnxAttribute.Int("keepdims", 0));
        }
        else
        {
            // a ξ² + b ξ + c = 0: a = h(s − δ_k) + Δ(δ_k + δ_{k+1} − 2s), b = hδ_k − Δ(δ_k + δ_{k+1} − 2s), c = −sΔ
            string dy = Sub(hint + ".dy", value, y0);
            string sum = Sub(hint + ".sum", Add(hint + ".d01", d0, d1), Mul(hint + ".two_s", DoubleScalar(hint + ".two", 2), s));
            string qa = Add(hint + ".qa", Mul(hint + ".qa0", h, Sub(hint + ".s_minus_d", s, d0)), Mul(hint + ".qa1", dy, sum));
            string qb = Sub(hint + ".qb", Mul(hint + ".qb0", h, d0), Mul(hint + ".qb1", dy, sum));
            string qc = Neg(hint + ".qc", Mul(hint + ".s_dy", s, dy));
            string disc = Max(hint + ".disc", Sub(hint + ".disc_raw", Mul(hint + ".b2", qb, qb), Mul(hint + ".four_ac", DoubleScalar(hint + ".four", 4), Mul(hint + ".ac", qa, qc))), DoubleScalar(hint + ".zero1", 0));
            string den = Sub(hint + ".root_den", Neg(hint + ".minus_b_q", qb), Node("Sqrt", hint + ".sqrt", new[] { disc }));
            string zeroC = DoubleScalar(hint + ".zero2", 0);
            string root = Clamp(hint + ".root", Div(hint + ".root_raw", Mul(hint + ".two_c", DoubleScalar(hint + ".two2", 2), qc), den), zeroC, oneC);
            string xi = Where(hint + ".xi", Node("Less", hint + ".den_negative", new[] { den, zeroC }), root, zero);
            // the fallback: where |g(ξ) − v| > 1e-9·h, 64 bisection steps on [0, 1] (residual increasing in ξ)
            string Residual(string name, string at)
            {
                var (_, _, _, d, n) = Terms(name, at);
                return Sub(hint + name + ".residual", Div(hint + name + ".g", n, d), dy);
            }
            string ok = Node("LessOrEqual", hint + ".root_ok", new[] { Node("Abs", hint + ".root_miss", new[] { Residual(".check", xi) }), Mul(hint + ".tolerance", DoubleScalar(hint + ".tol", 1e-9), h) });
            string lo = zero, hi = one, half = DoubleScalar(hint + ".half", 0.5);
            for (int i = 0; i < 64; i++)
            {
                string mid = Mul(hint + ".bisect.mid", half, Add(hint + ".bisect.sum", lo, hi));
                string below = Node("Less", hint + ".bisect.below", new[] { Residual(".bisect", mid), zeroC });
                lo = Where(hint + ".bisect.lo", below, mid, lo);
                hi = Where(hint + ".bisect.hi", below, hi, mid);
            }
            string bisected = Mul(hint + ".bisected", half, Add(hint + ".bisect.end", lo, hi));
            string chosen = Where(hint + ".xi_final", ok, xi, bisected);
            string u = Clamp(hint + ".u", Add(hint + ".u_raw", x0, Mul(hint + ".xi_w", chosen, w)), x0, x1);
            result = Where(hint + ".spline", inside, u, v);
            logDerivative = null;
        }
        return Reshape(hint, Cast(hint + ".result32", result, OnnxFloat), features);
    }

    // ---------------------------------------------------------------- output

    /// <summary>The model as protobuf bytes.</summary>
    public byte[] ToBytes()
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "GenDsl",
            ProducerVersion = typeof(OnnxGraphBuilder).Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
            DocString = _graph.DocString,
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in _metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        long size = model.CalculateSize();
        if (size > int.MaxValue)
            throw new InvalidOperationException($"The ONNX graph of {_model} would be {size} bytes, more than protobuf's 2 GiB limit.");
        return model.ToByteArray();
    }

    /// <summary>
    /// Writes the model to <paramref name="path"/> (through a temporary file in the same folder, then a rename,
    /// so a failed write never leaves half a model). Errors name the path: an <see cref="IOException"/>.
    /// </summary>
    public void Save(string path) => Write(path, ToBytes(), _model);

    /// <summary>Writes ONNX bytes to <paramref name="path"/> atomically; any failure is an <see cref="IOException"/> that names the path and the reason.</summary>
    public static void Write(string path, byte[] bytes, string model)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(bytes);
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new IOException($"Cannot write the ONNX model of {model} to '{path}': {e.Message}", e);
        }
        string temp = full + ".tmp-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            string? folder = Path.GetDirectoryName(full);
            if (folder is not null && !Directory.Exists(folder))
                throw new DirectoryNotFoundException($"the folder '{folder}' does not exist");
            if (Directory.Exists(full))
                throw new IOException($"'{full}' is a folder; give a file name such as model.onnx");
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            try { File.Delete(temp); } catch (Exception) { /* best effort */ }
            throw new IOException($"Cannot write the ONNX model of {model} to '{full}': {e.Message}", e);
        }
    }
}

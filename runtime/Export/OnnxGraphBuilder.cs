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

using System.Text;

namespace GenDsl;

/// <summary>A generated model that can write itself as a PyTorch module with its weights (<c>model.ExportPyTorch(dir)</c>).</summary>
public interface IPyTorchExportable
{
    /// <summary>
    /// Writes <c>&lt;ClassName&gt;.py</c>, a self-contained Python file defining a <c>torch.nn.Module</c> that mirrors the
    /// declaration, and <c>&lt;ClassName&gt;.safetensors</c>, the model's parameters and buffers under the names its
    /// state_dict uses (the checkpoint names), into <paramref name="directory"/> (created if needed).
    /// </summary>
    void ExportPyTorch(string directory);
}

/// <summary>The file writing behind the generated <c>ExportPyTorch</c> methods.</summary>
public static class PyTorchExport
{
    /// <summary>Writes <paramref name="className"/>.py (<paramref name="pythonSource"/>, UTF-8) and <paramref name="className"/>.safetensors (<see cref="IGenerativeModel.Save"/>).</summary>
    public static void Write(IGenerativeModel model, string directory, string className, string pythonSource)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentException.ThrowIfNullOrEmpty(className);
        ArgumentNullException.ThrowIfNull(pythonSource);
        Directory.CreateDirectory(directory);
        string python = Path.Combine(directory, className + ".py");
        string temporary = python + ".tmp";
        File.WriteAllText(temporary, pythonSource.ReplaceLineEndings("\n"), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        File.Move(temporary, python, overwrite: true);
        model.Save(Path.Combine(directory, className + ".safetensors"));
    }
}

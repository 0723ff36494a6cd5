using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace GenDsl.Generators.Tests;

/// <summary>
/// The README's C# blocks, compiled with the generator exactly as a user would write them in a new
/// project (declarations + the usage block as top-level statements), then run: they must train,
/// sample and save without error.
/// </summary>
public class ReadmeTests
{
    private static string ReadmePath([CallerFilePath] string file = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, "..", "..", "README.md"));

    [Fact]
    public void ReadmeExamplesCompileTrainAndSample()
    {
        var blocks = Regex.Matches(File.ReadAllText(ReadmePath()), "```csharp\n(.*?)```", RegexOptions.Singleline)
            .Select(m => m.Groups[1].Value).ToArray();
        Assert.True(blocks.Length >= 2, "the README should show the declarations and their use");
        string declarations = blocks[0];
        string usage = blocks[1];

        var parse = new CSharpParseOptions(LanguageVersion.Preview);
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Append(typeof(FlowAttribute).Assembly.Location)
            .DistinctBy(Path.GetFileName)
            .Select(p => MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create("ReadmeUser",
            new[]
            {
                CSharpSyntaxTree.ParseText(usage, parse, path: "Program.cs"),
                CSharpSyntaxTree.ParseText(declarations, parse, path: "Models.cs"),
            },
            references,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        GeneratorHarness.Driver(track: false).RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);

        using var image = new MemoryStream();
        var result = output.Emit(image);
        Assert.True(result.Success, "README code does not compile:\n" + string.Join("\n",
            result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));

        var assembly = Assembly.Load(image.ToArray());
        string saved = Environment.CurrentDirectory;
        var dir = Directory.CreateTempSubdirectory("gendsl-readme-");
        try
        {
            Environment.CurrentDirectory = dir.FullName;
            var entry = assembly.EntryPoint!;
            entry.Invoke(null, entry.GetParameters().Length == 0 ? null : new object[] { Array.Empty<string>() });
            Assert.True(new FileInfo(Path.Combine(dir.FullName, "moons.safetensors")).Length > 0);
        }
        finally
        {
            Environment.CurrentDirectory = saved;
            dir.Delete(recursive: true);
        }
    }
}

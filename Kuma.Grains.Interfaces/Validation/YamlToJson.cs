using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Kuma.Validation;

/// <summary>
/// YAML (request bodies as kumactl and people write them, Envoy values inside policies) into the same tree JSON
/// produces. Plain scalars get YAML 1.2 core types; quoted scalars stay strings. Text that is not one well-formed,
/// bounded YAML document raises <see cref="YamlTreeException"/> with the reason.
/// </summary>
/// <remarks>
/// Built from the parser's event stream with an explicit stack, never with YamlStream: its node
/// constructors recurse once per nesting level, so a body nested tens of thousands deep overflows the
/// stack (which .NET cannot catch) before any depth check could run. Here depth and node count are
/// checked as each event arrives, and alias expansion is charged at its full size.
/// </remarks>
public static partial class YamlToJson
{
    public const int MaxDepth = 64;
    public const int MaxNodes = 100_000;

    [GeneratedRegex(@"^[-+]?(0|[1-9][0-9]*)$")]
    private static partial Regex Integer();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex Float();

    [GeneratedRegex(@"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?\z")]
    private static partial Regex JsonNumber();

    /// <summary>The tree of <paramref name="yaml"/>, expanding to at most <paramref name="maxNodes"/> nodes.</summary>
    public static JsonNode? Convert(string yaml, int maxNodes = MaxNodes)
    {
        try
        {
            return new Builder(maxNodes).Run(new Parser(new StringReader(yaml)));
        }
        catch (YamlException e)
        {
            throw new YamlTreeException($"could not parse the body as YAML: {e.Message}");
        }
        catch (ArgumentException e)
        {
            // The scanner turns an escape such as "\udc00" into a string with char.ConvertFromUtf32, which
            // throws for surrogate and out-of-range code points instead of raising a YamlException.
            throw new YamlTreeException($"could not parse the body as YAML: {e.Message}");
        }
    }

    private sealed class Frame(JsonNode container, AnchorName anchor, int budgetAtStart)
    {
        public JsonNode Container { get; } = container;
        public AnchorName Anchor { get; } = anchor;
        public int BudgetAtStart { get; } = budgetAtStart;
        public string? PendingKey { get; set; }
    }

    private sealed class Builder(int maxNodes)
    {
        private readonly Stack<Frame> _open = new();
        private readonly Dictionary<string, (JsonNode? Node, int Size)> _anchors = new(StringComparer.Ordinal);
        private readonly int _maxNodes = maxNodes;
        private int _budget = maxNodes;
        private int _documents;
        private JsonNode? _root;
        private bool _rootSet;

        public JsonNode? Run(Parser parser)
        {
            while (parser.MoveNext())
            {
                switch (parser.Current)
                {
                    case DocumentStart:
                        if (++_documents > 1) throw new YamlTreeException("request body must hold exactly one YAML document");
                        break;
                    case MappingStart start:
                        Open(new JsonObject(), start.Anchor);
                        break;
                    case SequenceStart start:
                        Open(new JsonArray(), start.Anchor);
                        break;
                    case MappingEnd or SequenceEnd:
                        var frame = _open.Pop();
                        Place(frame.Container, frame.Anchor, frame.BudgetAtStart - _budget);
                        break;
                    case Scalar scalar:
                        Charge(1);
                        if (ExpectingKey() is { } mapping)
                        {
                            if (((JsonObject)mapping.Container).ContainsKey(scalar.Value))
                                throw new YamlTreeException($"duplicate key '{scalar.Value}' in YAML body");
                            mapping.PendingKey = scalar.Value;
                            break;
                        }
                        Place(ScalarValue(scalar), scalar.Anchor, 1);
                        break;
                    case AnchorAlias alias:
                        if (ExpectingKey() is not null) throw new YamlTreeException("YAML mapping keys must be plain strings");
                        if (!_anchors.TryGetValue(alias.Value.Value, out var anchored))
                            throw new YamlTreeException($"YAML alias *{alias.Value.Value} names no anchor");
                        Charge(anchored.Size);
                        var copy = anchored.Node?.DeepClone();
                        YamlScalars.CopyMarks(anchored.Node, copy);
                        Place(copy, AnchorName.Empty, anchored.Size);
                        break;
                }
            }
            if (_documents == 0) throw new YamlTreeException("request body must hold exactly one YAML document");
            return _root;
        }

        /// <summary>The open mapping whose next event is a key, if that is where the parser is.</summary>
        private Frame? ExpectingKey() =>
            _open.TryPeek(out var top) && top.Container is JsonObject && top.PendingKey is null ? top : null;

        private void Open(JsonNode container, AnchorName anchor)
        {
            if (ExpectingKey() is not null)
                throw new YamlTreeException("YAML mapping keys must be plain strings");
            if (_open.Count >= MaxDepth) throw new YamlTreeException($"YAML body is nested deeper than {MaxDepth} levels");
            Charge(1);
            _open.Push(new Frame(container, anchor, _budget + 1));
        }

        private void Charge(int nodes)
        {
            _budget -= nodes;
            if (_budget < 0) throw new YamlTreeException($"YAML body expands to more than {_maxNodes} nodes");
        }

        private void Place(JsonNode? node, AnchorName anchor, int size)
        {
            if (!anchor.IsEmpty) _anchors[anchor.Value] = (node, size);
            if (!_open.TryPeek(out var parent))
            {
                if (_rootSet) throw new YamlTreeException("request body must hold exactly one YAML document");
                (_root, _rootSet) = (node, true);
                return;
            }
            if (parent.Container is JsonArray array)
            {
                array.Add(node);
                return;
            }
            ((JsonObject)parent.Container)[parent.PendingKey!] = node;
            parent.PendingKey = null;
        }
    }

    /// <summary>A plain scalar read as a number or boolean keeps its text on the side, for string fields of policies.</summary>
    private static JsonValue? ScalarValue(Scalar scalar)
    {
        var value = TypedScalar(scalar);
        if (value is not null && value.GetValueKind() is not JsonValueKind.String) YamlScalars.Mark(value, scalar.Value);
        return value;
    }

    private static JsonValue? TypedScalar(Scalar scalar)
    {
        var value = scalar.Value;
        if (scalar.Style is not (ScalarStyle.Plain or ScalarStyle.Any)) return JsonValue.Create(value);
        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }
        if (Integer().IsMatch(value) && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
            return JsonValue.Create(l);
        // A number JSON can spell keeps its exact text, so YAML and JSON bodies are judged alike (1e400 included).
        if (JsonNumber().IsMatch(value)) return JsonNode.Parse(value)!.AsValue();
        if (Float().IsMatch(value) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
            return double.IsFinite(d) ? JsonValue.Create(d) : throw new YamlTreeException($"YAML number {value} is out of range");
        return JsonValue.Create(value);
    }
}

/// <summary>Why a text is not a YAML document this reader takes; the message is fit for the caller.</summary>
public sealed class YamlTreeException(string message) : FormatException(message);

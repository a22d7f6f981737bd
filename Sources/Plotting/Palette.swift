/// The Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), distinguishable with the
/// common colour-vision deficiencies; ordered so that the first colours contrast best on white.
/// Series also differ by marker shape and dash, so a chart reads in greyscale too.
public enum Palette {
    /// Blue, vermillion, bluish green, reddish purple, orange, sky blue, black, yellow.
    public static let colors = [
        "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442",
    ]

    /// The colour of palette index `i` (wrapping around).
    public static func color(_ i: Int) -> String { colors[((i % colors.count) + colors.count) % colors.count] }

    /// A marker for palette index `i`, so that series differ by shape as well as colour.
    public static func marker(_ i: Int) -> Marker {
        let all = Marker.allCases
        return all[((i % all.count) + all.count) % all.count]
    }

    /// Index of black, for annotations that are not a series.
    public static let black = 6
    /// Index of the blue used for "the plan".
    public static let blue = 0
    /// Index of the vermillion used for "Chinchilla".
    public static let vermillion = 1
    /// Index of the reddish purple used for forecasts past what their data can speak for.
    public static let pastHorizon = 3
}

"""Assessment (专项考核): how cases went in each region for a period, for the console's tables,
charts and exports."""
